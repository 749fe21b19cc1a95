"""The planted-truth scorecard: its measures, and what each method recovers in each simulator regime."""

import json

import numpy as np
import pandas as pd
import pytest

from deepmodules import truth
from deepmodules.errors import InputError

GENES = [f"G{i:04d}" for i in range(1000)]
PLANTED = set(GENES[:30])


def ranked(order: list[str]) -> pd.DataFrame:
    """A score table ranking ``order`` from the highest score down."""
    return pd.DataFrame({"gene": order, "score": np.arange(len(order), 0, -1, dtype=float)})


def test_perfect_ranking_scores_one():
    result = truth.recovery(ranked(GENES), PLANTED, k=30)
    assert result["auroc"] == 1.0
    assert result["precision_at_k"] == 1.0 and result["recall_at_k"] == 1.0
    assert result["precision_at_100"] == 0.3 and result["recall_at_100"] == 1.0
    assert result["auroc_p"] < 1e-15


def test_reversed_ranking_scores_zero():
    result = truth.recovery(ranked(GENES[::-1]), PLANTED, k=30)
    assert result["auroc"] == 0.0
    assert result["precision_at_k"] == 0.0 and result["recall_at_100"] == 0.0
    assert result["auroc_p"] > 0.999


def test_random_rankings_score_chance():
    """Negative control: over random rankings the AUROC centres on 0.5 and precision on 30/1000, and
    the one-sided p-value is about uniform (about 5% of rankings below 0.05)."""
    rng = np.random.default_rng(0)
    results = [
        truth.recovery(ranked(list(rng.permutation(GENES))), PLANTED, 30) for _ in range(200)
    ]
    auroc = np.array([r["auroc"] for r in results])
    assert abs(auroc.mean() - 0.5) < 0.02
    assert abs(np.mean([r["precision_at_100"] for r in results]) - 0.03) < 0.01
    assert np.mean([r["auroc_p"] < 0.05 for r in results]) < 0.12


def test_ties_count_one_half_and_missing_planted_genes_are_left_out():
    table = pd.DataFrame({"gene": GENES[:10], "score": 1.0})
    result = truth.recovery(table, {"G0000", "G0001", "G9999"}, k=5)
    assert result["n_planted"] == 2
    assert result["auroc"] == 0.5


def test_scorecard_flags_methods_below_chance_or_below_naive():
    rng = np.random.default_rng(1)
    partial = GENES[:15] + list(rng.permutation(GENES[15:]))
    tables = {
        ("naive128", "h1", "asthma"): ranked(GENES),
        ("deep128", "h3", "asthma"): ranked(partial),
        ("deep128", "h1", "asthma"): ranked(list(rng.permutation(GENES))),
        ("deep128", "h1", "sham_disease"): ranked(GENES),
        ("deep128", "h1", "not_simulated"): ranked(GENES),
    }
    planted = {"asthma": sorted(PLANTED), "sham_disease": []}
    card = truth.scorecard(tables, planted, k=30, naive="naive128").set_index(["model", "layer"])
    assert list(card.columns) == truth.COLUMNS[2:]
    assert card.loc[("naive128", "h1"), "note"] == "recovered"
    assert card.loc[("deep128", "h3"), "note"].startswith("below naive")
    h1 = card[card["disease"] == "asthma"].loc[("deep128", "h1"), "note"]
    assert "not above chance" in h1 and "below naive" in h1
    assert card[card["disease"] == "sham_disease"]["note"].iloc[0].startswith("no planted genes")
    assert "not_simulated" not in set(card["disease"])
    means = truth.summary(card.reset_index()).set_index(["model", "layer"])
    assert means.loc[("naive128", "h1"), "auroc"] == 1.0
    assert means.loc[("deep128", "h1"), "above_chance"] == 0
    assert means["n_diseases"].tolist() == [1, 1, 1]


def test_planted_genes_read_from_the_ground_truth(tmp_path):
    path = tmp_path / "ground_truth.json"
    path.write_text(
        json.dumps(
            {
                "diseases": {"asthma": {"module_genes": ["G1"]}, "sham": {"module_genes": []}},
                "external": {"ms": {"module_genes": ["G2"]}},
            }
        )
    )
    assert truth.planted_genes(path) == {"asthma": ["G1"], "sham": [], "ms": ["G2"]}
    path.write_text(json.dumps({"genes": []}))
    with pytest.raises(InputError, match="ground_truth.json"):
        truth.planted_genes(path)
