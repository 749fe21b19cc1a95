"""Enrichment statistics: exactness against scipy, hand-computed cases, positive and negative controls."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepmodules import simulate as sim
from deepmodules.data.gwas_sources import read_refgene
from deepmodules.errors import InputError
from deepmodules.stats import benjamini_hochberg, binomial_greater, fisher_combined
from deepmodules.validate.enrichment import (
    COLUMNS,
    adjust_and_combine,
    fisher_enrichment,
    gwas_test,
    matched_gwas_test,
    matched_null,
    matched_strata,
    module_gwas_tables,
)
from deepmodules.validate.gwas import MAPPINGS, assign_loci, gene_features, map_snps

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


def features_of(lengths: list[int], neighbours: list[int]) -> pd.DataFrame:
    genes = [f"G{i}" for i in range(len(lengths))]
    return pd.DataFrame({"gene": genes, "length": lengths, "neighbours": neighbours})


def test_strata_group_genes_of_similar_length_and_density():
    rng = np.random.default_rng(0)
    features = features_of(rng.integers(1000, 10**6, 1000).tolist(), rng.integers(0, 30, 1000))
    strata = matched_strata(features, [*features["gene"], "NO_COORDINATES"], 50, density_bins=4)
    assert strata["NO_COORDINATES"] == -1
    sizes = strata[strata >= 0].value_counts()
    assert len(sizes) == 4 * 5 and (sizes == 50).all()  # 4 density bins of 250, 5 length bins each
    table = features.set_index("gene").join(strata)
    table["density_bin"] = table["stratum"] // 5  # strata are numbered density bin by density bin
    density = table.groupby("density_bin")["neighbours"].agg(["min", "max"])
    assert (density["min"].to_numpy()[1:] >= density["max"].to_numpy()[:-1]).all()
    for _, group in table.groupby("density_bin"):
        length = group.groupby("stratum")["length"].agg(["min", "max"])
        assert (length["min"].to_numpy()[1:] > length["max"].to_numpy()[:-1]).all()


def test_small_universe_gets_fewer_density_bins():
    features = features_of(list(range(1000, 1120)), [0, 1, 2] * 40)
    strata = matched_strata(features, features["gene"], 50, density_bins=4)
    assert strata.nunique() == 2  # 120 genes: two density bins of 60, one length bin each


def test_matched_null_with_one_stratum_is_the_fisher_test():
    """With a single stratum a random set is a random module of the same size: the empirical p is
    the hypergeometric upper tail, the Fisher p, up to sampling error."""
    features = features_of([5000] * 2000, [3] * 2000)
    strata = matched_strata(features, features["gene"], stratum_genes=2000, density_bins=4)
    gwas = UNIVERSE[:200]
    for overlap in (10, 16, 25):  # expected 10 by chance
        module = UNIVERSE[:overlap] + UNIVERSE[1000 : 1100 - overlap]
        fisher = fisher_enrichment(module, gwas, UNIVERSE)
        null = matched_null(module, gwas, strata, 20_000, np.random.default_rng(1))
        assert null["empirical_p_value"] == pytest.approx(fisher["p_value"], abs=0.01)
        assert null["null_module_share"] == pytest.approx(100 / 2000)
    assert null["empirical_p_value"] < 1e-3 and fisher["p_value"] < 1e-3  # 25 of 100: enriched
    assert null["null_median_odds_ratio"] == pytest.approx(1, abs=0.35)


def test_matched_gwas_test_counts_loci_and_skips_like_gwas_test():
    features = features_of([5000] * 2000, [3] * 2000)
    strata = matched_strata(features, features["gene"], 50, density_bins=4)
    loci = pd.DataFrame({"gene": ["G0", "G1", "G2", "G3"], "locus": ["a", "a", "b", "c"]})
    result = matched_gwas_test(["G0", "G1", "G2"], loci, strata, 1, 1000, np.random.default_rng(0))
    assert result["overlap"] == 3 and result["n_loci"] == 2 and result["status"] == "tested"
    skipped = matched_gwas_test(["G0"], loci, strata, 5, 1000, np.random.default_rng(0))
    assert skipped["status"].startswith("skipped: 4 GWAS genes")
    assert math.isnan(skipped["empirical_p_value"]) and math.isnan(skipped["n_loci"])


@pytest.fixture(scope="module")
def long_gene_genome(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """A simulated genome of 3,000 genes with real-like spread of gene length (log-normal, sd 1.2,
    2 kb to 2 Mb) and spacing, and 600 GWAS SNPs placed uniformly along it: no disease signal, but a
    long gene is the closest gene of (and within 50 kb of) more of them."""
    path = tmp_path_factory.mktemp("genome") / "refGene.txt.gz"
    params = {
        "gene_length_range": [2_000, 2_000_000],
        "gene_length_log_sd": 1.2,
        "gene_spacing_min": 10_000,
        "gene_spacing_jitter": 100_000,
    }
    symbols = [f"G{i}" for i in range(3000)]
    p = sim._params({"n_genes": len(symbols), **params}, "direct")
    sim._write_refgene(Path(path), p, symbols, np.random.default_rng(1))
    genes = read_refgene(path, noncoding=True)
    rng = np.random.default_rng(2)
    extent = genes.groupby("chrom")["end"].max()
    chrom = rng.choice(extent.index, 600, p=extent / extent.sum())
    pos = (rng.random(600) * extent[chrom].to_numpy()).astype(int) + 1
    snps = pd.DataFrame({"disease": "d", "snp": [f"rs{i}" for i in range(600)], "chrom": chrom})
    return genes, assign_loci(snps.assign(pos=pos), 250), symbols


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_long_gene_module_passes_fisher_but_not_the_matched_null(long_gene_genome, mapping):
    genes, snps, universe = long_gene_genome
    features = gene_features(genes, density_kb=500)
    strata = matched_strata(features, universe, 50, density_bins=4)
    rng = np.random.default_rng(3)
    longest = features.nlargest(400, "length")["gene"]
    long_module = rng.choice(longest, 100, replace=False)
    mapped, _ = map_snps(snps, genes, mapping, 50, "simulated SNPs")
    decoy = matched_gwas_test(long_module, mapped, strata, 10, 1000, rng)
    assert decoy["p_value"] < 1e-4  # the bias: long genes collect SNPs
    assert decoy["empirical_p_value"] > 0.2 and decoy["length_density_bias"]
    # positive control: SNPs at 60 of 100 random module genes on top of the same background
    planted = rng.choice(universe, 100, replace=False)
    body = genes.set_index("gene").loc[planted[:60]]
    signal = pd.DataFrame(
        {"disease": "d", "snp": [f"rs_m{i}" for i in range(60)], "chrom": body["chrom"]}
    ).assign(pos=(body["start"] + 1).to_numpy())
    snps = assign_loci(pd.concat([snps, signal], ignore_index=True), 250)
    mapped, _ = map_snps(snps, genes, mapping, 50, "simulated SNPs")
    hit = matched_gwas_test(planted, mapped, strata, 10, 1000, rng)
    assert hit["p_value"] < 1e-10 and hit["empirical_p_value"] < 0.01
    assert not hit["length_density_bias"]


def test_module_gwas_tables_test_every_module_under_each_mapping():
    """A planted module is enriched and a random one is not, under both mappings, with q-values over
    the tested rows; a skipped module keeps its reason and NaN statistics."""
    features = features_of([5000] * 2000, [3] * 2000)
    strata = matched_strata(features, features["gene"], stratum_genes=2000, density_bins=4)
    rng = np.random.default_rng(3)
    gwas = pd.DataFrame(
        [
            {"disease": "asthma", "mapping": mapping, "gene": gene, "locus": i // 2}
            for mapping, genes in (("closest", UNIVERSE[:150]), ("window", UNIVERSE[:200]))
            for i, gene in enumerate(genes)
        ]
    )
    modules = [
        ("asthma", "deep8", "h1", UNIVERSE[:40] + UNIVERSE[1000:1060], "scored"),
        ("asthma", "naive8", "h1", list(rng.choice(UNIVERSE[300:], 100, replace=False)), "scored"),
        ("asthma", "deep8", "h2", [], "skipped: no control samples"),
    ]
    tables = module_gwas_tables(
        modules, gwas, strata, ["closest", "window"], "closest", 50, 2000, rng
    )
    for mapping, (table, combined) in tables.items():
        table = table.set_index(["model", "layer"])
        assert list(table.columns) == [c for c in COLUMNS if c not in ("model", "layer")]
        assert (table["mapping"] == mapping).all()
        assert table.loc[("deep8", "h1"), "p_value"] < 1e-6
        assert table.loc[("deep8", "h1"), "empirical_p_value"] < 0.01
        assert table.loc[("naive8", "h1"), "p_value"] > 0.05
        assert table.loc[("deep8", "h2"), "status"] == "skipped: no control samples"
        assert np.isnan(table.loc[("deep8", "h2"), ["p_value", "q_value"]].astype(float)).all()
        assert combined.set_index(["model", "layer"]).loc[("deep8", "h2"), "n_diseases"] == 0


def test_a_module_of_the_whole_universe_is_not_tested():
    """modules.size at least the universe: the module is every gene, and Fisher's p = 1 would read as
    a tested, negative result."""
    result = gwas_test(UNIVERSE + ["OUTSIDE"], UNIVERSE[:150], UNIVERSE, min_gwas_genes=100)
    assert (
        result["status"]
        == "skipped: the module holds all 2000 genes of the universe (lower modules.size)"
    )
    assert np.isnan(result["p_value"]) and result["gwas_genes"] == 150
    assert gwas_test(UNIVERSE[:-1], UNIVERSE[:150], UNIVERSE, 100)["status"] == "tested"
