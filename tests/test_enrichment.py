"""Enrichment statistics: exactness against scipy, hand-computed cases, positive and negative controls."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepmodules.enrichment import (
    adjust_and_combine,
    benjamini_hochberg,
    binomial_greater,
    fisher_combined,
    fisher_enrichment,
    gwas_test,
)
from deepmodules.errors import InputError

UNIVERSE = [f"G{i}" for i in range(2000)]


def test_counts_are_restricted_to_the_universe():
    module = {"G1", "G2", "G3", "NOT_EXPRESSED"}
    gwas = {"G2", "G3", "G4", "ALSO_NOT"}
    result = fisher_enrichment(module, gwas, UNIVERSE[:10])
    assert {k: result[k] for k in ("overlap", "module_size", "gwas_genes", "universe")} == {
        "overlap": 2,
        "module_size": 3,
        "gwas_genes": 3,
        "universe": 10,
    }
    # table [[2, 1], [1, 6]]: sample odds ratio 2*6 / (1*1)
    assert result["odds_ratio"] == pytest.approx(12.0)


def test_fisher_equals_hypergeometric_upper_tail():
    rng = np.random.default_rng(0)
    for _ in range(20):
        module = set(rng.choice(UNIVERSE, 150, replace=False))
        gwas = set(rng.choice(UNIVERSE, 80, replace=False))
        result = fisher_enrichment(module, gwas, UNIVERSE)
        tail = stats.hypergeom.sf(result["overlap"] - 1, len(UNIVERSE), len(gwas), len(module))
        assert result["p_value"] == pytest.approx(tail, rel=1e-9)


def test_positive_control_planted_overlap():
    rng = np.random.default_rng(1)
    gwas = set(rng.choice(UNIVERSE, 50, replace=False))
    others = sorted(set(UNIVERSE) - gwas)
    module = set(sorted(gwas)[:30]) | set(rng.choice(others, 70, replace=False))
    result = fisher_enrichment(module, gwas, UNIVERSE)
    assert result["overlap"] == 30
    assert result["p_value"] < 1e-20
    assert result["odds_ratio"] > 10


def test_negative_control_random_sets_are_not_enriched():
    p_values = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        module = rng.choice(UNIVERSE, 100, replace=False)
        gwas = rng.choice(UNIVERSE, 50, replace=False)
        p_values.append(fisher_enrichment(module, gwas, UNIVERSE)["p_value"])
    p_values = np.array(p_values)
    assert np.mean(p_values < 0.05) < 0.1
    assert np.median(p_values) > 0.3


def test_empty_universe_is_an_error():
    with pytest.raises(InputError, match="universe is empty"):
        fisher_enrichment({"A"}, {"A"}, [])


def test_benjamini_hochberg_hand_computed():
    # m = 4 non-NaN; sorted p 0.01, 0.03, 0.04, 0.2 -> m p / rank 0.04, 0.06, 0.0533, 0.2;
    # the running minimum from the top gives 0.04, 0.0533, 0.0533, 0.2.
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2, np.nan])
    np.testing.assert_allclose(q[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert np.isnan(q[4])


def test_benjamini_hochberg_monotone_bounded_and_matches_scipy():
    p = np.random.default_rng(3).uniform(size=500) ** 2
    q = benjamini_hochberg(p)
    order = np.argsort(p)
    assert np.all(np.diff(q[order]) >= 0)
    assert np.all((q >= p) & (q <= 1))
    np.testing.assert_allclose(q, stats.false_discovery_control(p, method="bh"))
    assert np.isnan(benjamini_hochberg([np.nan, np.nan])).all()
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        benjamini_hochberg([0.5, 1.5])


def test_fisher_combined():
    p = [0.01, 0.2, 0.5]
    statistic = -2 * sum(math.log(x) for x in p)
    assert fisher_combined(p) == pytest.approx(stats.chi2.sf(statistic, 2 * len(p)))
    assert fisher_combined([0.3]) == pytest.approx(0.3)
    with pytest.raises(InputError):
        fisher_combined([])


def test_binomial_greater():
    # the paper's disease groups: third layer better than gene-space PCA for 86 of 128, P = 6.3e-5
    assert binomial_greater(86, 128) == pytest.approx(6.3e-5, rel=0.01)
    assert binomial_greater(7, 10, 0.3) == pytest.approx(stats.binom.sf(6, 10, 0.3))
    assert binomial_greater(0, 10) == pytest.approx(1.0)
    with pytest.raises(InputError):
        binomial_greater(11, 10)


def test_gwas_test_skips_a_disease_below_the_minimum_and_says_why():
    module, gwas = UNIVERSE[:100], UNIVERSE[:60] + ["not expressed"]
    tested = gwas_test(module, gwas, UNIVERSE, min_gwas_genes=60)
    assert tested["status"] == "tested" and tested["overlap"] == 60 and tested["p_value"] < 1e-50
    skipped = gwas_test(module, gwas, UNIVERSE, min_gwas_genes=61)
    assert skipped["status"] == "skipped: 60 GWAS genes in the universe (minimum 61)"
    assert skipped["gwas_genes"] == 60
    assert all(math.isnan(skipped[k]) for k in ("overlap", "odds_ratio", "p_value"))


def test_q_values_and_combined_p_leave_skipped_rows_out():
    skipped = "skipped: 3 GWAS genes in the universe (minimum 10)"
    table = pd.DataFrame(
        {
            "disease": ["a", "b", "c", "a"],
            "layer": ["h1", "h1", "h1", "h2"],
            "p_value": [0.01, 0.04, np.nan, np.nan],
            "status": ["tested", "tested", skipped, skipped],  # h2: every disease skipped
        }
    )
    adjusted, combined = adjust_and_combine(table, by=["layer"])
    np.testing.assert_allclose(adjusted["q_value"][:2], benjamini_hochberg([0.01, 0.04]))
    assert adjusted["q_value"][2:].isna().all()
    assert combined["layer"].tolist() == ["h1", "h2"]
    assert combined["n_diseases"].tolist() == [2, 0]
    assert combined.loc[0, "combined_p_value"] == pytest.approx(fisher_combined([0.01, 0.04]))
    assert np.isnan(combined.loc[1, "combined_p_value"])
