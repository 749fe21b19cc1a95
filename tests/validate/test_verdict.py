"""Which module to believe: replicate consensus, held-out replication and the verdict per disease."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepmodules.model.architecture import parse_model_id, replicate_ids, replicate_seed
from deepmodules.model.network import DenseLayer
from deepmodules.modules.consensus import consensus_module, jaccard, module_stability
from deepmodules.modules.reverse_training import skipped_module, summarize_seeds
from deepmodules.validate import replication, verdict
from tests.conftest import verdict_of_splits
from tests.xor_compendium import xor_disease_recovery, xor_study

GENES = [f"G{i:03d}" for i in range(200)]


def test_replicates_are_named_and_seeded_apart():
    assert replicate_ids("deep128", 3) == ["deep128", "deep128.r2", "deep128.r3"]
    spec = parse_model_id("deep128-funnel.r3")
    assert (spec.replicate, spec.architecture, spec.width) == (3, "deep128-funnel", 128)
    assert parse_model_id("shallow64").replicate == 1
    assert replicate_seed(1, 1) == 1
    seeds = {replicate_seed(s, r) for s in range(1, 50) for r in range(1, 6)}
    assert len(seeds) == 49 * 5  # no two (seed, replicate) pairs share a training seed
    for bad in ("deep128.r1", "deep128.r0", "deep128.2"):
        with pytest.raises(Exception, match="not a known architecture"):
            parse_model_id(bad)


def replicate_table(scores: np.ndarray) -> pd.DataFrame:
    """A replicate's module table from its seeds' scores (seeds × genes)."""
    table = summarize_seeds(list(scores), GENES)
    return table.assign(reference="normal (T cell)", status="scored")


def test_consensus_is_the_mean_and_sd_over_every_fit_and_counts_stable_genes():
    """The consensus of 3 replicates × 4 seeds equals the mean and sd over the 12 fits computed
    directly; a gene in the top 11 of 2 of 3 replicates has stability 2/3, and the module's stability
    is the mean pairwise Jaccard index of the replicates' top sets."""
    rng = np.random.default_rng(0)
    fits = rng.normal(size=(3, 4, len(GENES)))
    fits[:, :, :10] += 5  # 10 genes on top in every replicate
    fits[:2, :, 10] += 5  # one more in replicates 1 and 2 only, last in replicate 3
    fits[2, :, 10] -= 5
    tables = [replicate_table(f) for f in fits]
    module = consensus_module(tables, size=11, n_seeds=4).set_index("gene")
    flat = fits.reshape(12, len(GENES))
    np.testing.assert_allclose(module.loc[GENES, "score"], flat.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(module.loc[GENES, "score_sd"], flat.std(axis=0, ddof=1), rtol=1e-6)
    assert (module.loc[GENES[:10], "stability"] == 1).all()
    assert module.loc["G010", "stability"] == pytest.approx(2 / 3)
    tops = [set(t.nsmallest(11, "rank")["gene"]) for t in tables]
    expected = np.mean(
        [jaccard(tops[0], tops[1]), jaccard(tops[0], tops[2]), jaccard(tops[1], tops[2])]
    )
    assert module["module_stability"].iloc[0] == pytest.approx(expected)
    assert 0 < expected < 1
    assert list(module.sort_values("rank").index[:10]) == list(
        module.loc[GENES].sort_values("score", ascending=False).index[:10]
    )


def test_a_single_replicate_passes_through_and_a_skip_stays_a_skip():
    rng = np.random.default_rng(1)
    table = replicate_table(rng.normal(size=(3, len(GENES))))
    one = consensus_module([table], size=20, n_seeds=3)
    pd.testing.assert_series_equal(
        one.set_index("gene")["score_sd"].loc[GENES],
        table.set_index("gene")["score_sd"].loc[GENES],
        check_dtype=False,
    )
    assert np.isnan(one["module_stability"].iloc[0])
    assert module_stability([{"a"}]) != module_stability([{"a"}])  # NaN
    skip = consensus_module([skipped_module("too few cases")] * 2, size=20, n_seeds=3)
    assert skip["status"].iloc[0] == "skipped: too few cases" and len(skip) == 1


def planted_compendium(shift: float, n_cases: int = 12, seed: int = 0, batch: float = 0.0):
    """Normal samples of one cell type in two studies (healthy: 40, disease: 12 cases and 12 controls);
    the cases' first 20 genes rise by ``shift`` sd, and the disease study's next 20 genes by ``batch``
    sd in cases and controls alike."""
    rng = np.random.default_rng(seed)
    n_healthy = 40
    values = rng.normal(0.5, 0.1, size=(n_healthy + 2 * n_cases, len(GENES)))
    values[n_healthy + n_cases :, :20] += shift * 0.1
    values[n_healthy:, 20:40] += batch * 0.1
    samples = pd.DataFrame(
        {
            "disease": ["normal"] * (n_healthy + n_cases) + ["asthma"] * n_cases,
            "cell_type": "T cell",
            "study": ["healthy"] * n_healthy + ["asthma study"] * (2 * n_cases),
        }
    )
    return values.astype(np.float32), samples


def test_the_statistic_rewards_replicating_genes_and_not_chance_nor_batch():
    """Positive case: the planted genes' held-out contrast is several times an average gene's.
    Negative controls: random modules score 1 on average, and so do the planted genes where nothing
    was planted; genes that only carry the disease study's batch score 1 within the study, though
    against the controls of the healthy study they would replicate as well as disease genes."""
    values, samples = planted_compendium(shift=2.0, batch=2.0)
    labels = pd.Series(np.where(samples["disease"] == "normal", "normal (T cell)", "asthma"))
    sd = replication.within_phenotype_sd(values, labels)
    residuals = (
        values - pd.DataFrame(values).groupby(labels.to_numpy()).transform("mean").to_numpy()
    )
    direct = np.sqrt((residuals.astype(np.float64) ** 2).sum(axis=0) / (len(values) - 2))
    np.testing.assert_allclose(sd, direct, rtol=1e-5)
    strata = labels + " | " + samples["study"]
    every = np.arange(len(samples))
    held = replication.half_splits(strata, every, 5, seed=1)
    assert len(held) == 5 and all(m.sum() == 20 + 6 + 6 for m in held)
    assert all(m[40:52].sum() == 6 for m in held)  # each study's controls halved apart
    assert not np.array_equal(held[0], held[1])
    np.testing.assert_array_equal(held[2], replication.half_splits(strata, every, 5, seed=1)[2])

    pairs, name = replication.contrast_groups(samples, "asthma", "normal", ["normal (T cell)"])
    assert name == "within 1 studies"
    assert set(pairs[0][1]) == set(range(40, 52))  # the study's own controls
    held_pairs = [(c[held[0][c]], r[held[0][r]]) for c, r in pairs]
    contrast = replication.heldout_contrast(values, held_pairs, sd)
    assert replication.replication_score(contrast, np.arange(20)) > 3
    assert replication.replication_score(contrast, np.arange(20, 40)) < 1.6
    across = [(held_pairs[0][0], np.flatnonzero(held[0][:40]))]  # against the healthy study
    batch = replication.replication_score(
        replication.heldout_contrast(values, across, sd), np.arange(20, 40)
    )
    assert batch > 2
    rng = np.random.default_rng(2)
    chance = [
        replication.replication_score(contrast, rng.choice(len(GENES), 20, replace=False))
        for _ in range(300)
    ]
    assert abs(np.mean(chance) - 1) < 0.05
    null, _ = planted_compendium(shift=0.0)
    contrast = replication.heldout_contrast(null, held_pairs, sd)
    assert replication.replication_score(contrast, np.arange(20)) < 1.6
    no_study = samples.drop(columns="study")
    _, name = replication.contrast_groups(no_study, "asthma", "normal", ["normal (T cell)"])
    assert name == "matched controls"


SETTINGS = {
    "seeds": [1, 2],
    "epochs": 40,
    "batch_size": 16,
    "learning_rate": 0.01,
    "tolerance": 0.001,
    "max_steps": 20000,
    "score": "contrast",
    "naive_fit": "means",
}


def test_heldout_replication_of_the_naive_baseline_finds_a_planted_disease_and_not_a_sham():
    """Through reverse training on the derivation halves (the naive baseline): a disease whose cases
    shift 20 genes replicates far beyond random genes in every split; a sham disease whose cases shift
    nothing has an interval that holds 1; a disease with one case cannot be split."""
    values, samples = planted_compendium(shift=2.0)
    sham, sham_samples = planted_compendium(shift=0.0, seed=3)
    values = np.vstack([values, sham[40:], sham[-1:]])
    samples = pd.concat(
        [
            samples,
            sham_samples[40:].replace({"asthma": "sham", "asthma study": "sham study"}),
            pd.DataFrame({"disease": "lonely", "cell_type": "T cell", "study": "x"}, index=[0]),
        ],
        ignore_index=True,
    )
    diseases = {"asthma": "asthma", "sham_disease": "sham", "lonely": "lonely"}
    table = replication.heldout_replication(
        values, samples, GENES, diseases, "normal", SETTINGS, size=20, n_splits=4, seed=1, hidden=16
    )
    by = table.set_index(["disease", "split"])
    assert (by.loc["asthma", "replication"] > 3).all(), table
    assert list(by.loc["asthma", "seed"]) == [1, 2, 1, 2]
    assert (by.loc["asthma", "contrast"] == "within 1 studies").all()
    summary = replication.summarize(table.assign(model="naive16", layer="h1"), 0.95)
    sham_row = summary.set_index("disease").loc["sham_disease"]
    assert sham_row["replication_ci_low"] < 1.2 and sham_row["replication"] < 1.5, summary
    assert (by.loc["lonely", "status"].str.contains("fewer than 2 cases")).all()
    assert by.loc["lonely", "replication"].isna().all()


def split_rows(
    model: str, layer: str, values: list[float], controls: int, disease: str = "asthma"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": model,
            "layer": layer,
            "disease": disease,
            "split": range(1, len(values) + 1),
            "n_heldout_cases": 12,
            "n_heldout_controls": controls,
            "replication": values,
        }
    )


def verdict_of(
    deep: list[float], naive: list[float], shallow: list[float], controls: int = 20
) -> pd.DataFrame:
    """The verdict of replication values per split; ``controls`` held out per split."""
    splits = pd.concat(
        [
            split_rows("deep128", "h1", [v - 0.5 for v in deep], controls),
            split_rows("deep128", "h2", deep, controls),
            split_rows("shallow128", "h1", shallow, controls),
            split_rows("naive128", "h1", naive, controls),
        ],
        ignore_index=True,
    )
    keys = splits[["disease", "model", "layer"]].drop_duplicates()
    return verdict.verdict_table(
        replication.summarize(splits, 0.95),
        splits,
        keys.assign(module_stability=0.8),
        keys.assign(empirical_p_value=0.01),
        keys.assign(encodability_r=0.9),
        "naive128",
        0.95,
        0.2,
        5,
    ).set_index(["model", "layer"])


def test_the_flag_fires_only_where_the_best_deep_layer_replicates_worse_than_naive():
    """Deep at half of naive in every split: flagged, naive recommended. Deep as good as naive up to
    noise: quiet, and the verdict names the tie. Deep better: quiet and recommended. Nothing beyond 1:
    said so."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.2, 10)
    worse = verdict_of(deep=list(2 + noise), naive=list(4 + noise[::-1]), shallow=[3] * 10)
    assert worse["deep_below_baseline"].all()
    assert worse.loc[("naive128", "h1"), "recommended"]
    assert worse["recommended"].sum() == 1
    assert (
        "deep128 h2" in worse["verdict"].iloc[0]
        and "worse than the naive" in worse["verdict"].iloc[0]
    )
    tie = verdict_of(deep=list(4 + noise), naive=list(4 + noise[::-1]), shallow=[3] * 10)
    assert not tie["deep_below_baseline"].any()
    chosen = " ".join(tie.index[tie["recommended"]][0])
    other = "naive128 h1" if chosen == "deep128 h2" else "deep128 h2"
    assert tie["verdict"].iloc[0].startswith(f"use {chosen} (tied with {other}:"), tie
    assert "shallow128" not in tie["verdict"].iloc[0]  # beaten by 1 in every split
    better = verdict_of(deep=list(6 + noise), naive=list(4 + noise[::-1]), shallow=[3] * 10)
    assert not better["deep_below_baseline"].any()
    assert better.loc[("deep128", "h2"), "recommended"]
    assert better["verdict"].iloc[0] == "use deep128 h2"
    null = verdict_of(deep=list(1 + noise), naive=list(1 + noise[::-1]), shallow=list(1 + noise))
    assert null["verdict"].iloc[0].startswith("no module replicates beyond random genes")
    assert (better[["heldout_cases", "heldout_controls"]] == [12, 20]).all().all()


def test_a_verdict_on_few_held_out_samples_says_its_evidence_is_weak():
    """Two held-out controls per split (the bladder arrays): the same ranking, said to be weak; five,
    the threshold, and the verdict is plain."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.2, 10)
    thin = verdict_of(list(6 + noise), list(4 + noise[::-1]), [3] * 10, controls=2)
    assert thin.loc[("deep128", "h2"), "recommended"]
    assert thin["verdict"].iloc[0] == (
        "use deep128 h2; weak evidence: the splits hold out only 2 controls"
    )
    assert (thin["heldout_controls"] == 2).all()
    enough = verdict_of(list(6 + noise), list(4 + noise[::-1]), [3] * 10, controls=5)
    assert enough["verdict"].iloc[0] == "use deep128 h2"


def xor_replication(xor: bool) -> pd.DataFrame:
    """Held-out replication (6 splits) of every method on the XOR disease study, its verdict, and the
    truth: the share of the planted module among as many top genes of the module derived on all
    samples (:func:`tests.xor_compendium.xor_disease_recovery`)."""
    study = xor_study(xor)
    methods = {("naive128", "h1"): {"hidden": 128}}
    for model_id, layers in study.layers.items():
        for layer in parse_model_id(model_id).layers:
            methods[(model_id, layer)] = {"replicates": [{"layers": layers, "layer": layer}]}
    splits = [
        replication.heldout_replication(
            *study.arguments,
            len(study.module),
            6,
            1,
            **where,
        ).assign(model=model, layer=layer)
        for (model, layer), where in methods.items()
    ]
    table = verdict_of_splits(pd.concat(splits, ignore_index=True), "naive128")
    recovered = xor_disease_recovery(xor)
    table["truth"] = [
        recovered["naive" if model.startswith("naive") else f"{model}/{layer}"]
        for model, layer in table.index
    ]
    return table


def test_replication_ranks_a_deep_layer_first_where_the_truth_does():
    """The XOR compendium, where the deep layers recover the planted module and neither the shallow
    model nor the naive baseline can (tests/modules/test_reverse_training.py): held-out replication, blind to
    the truth, orders the methods as the truth does. The best deep layer replicates best, above the
    naive baseline and the shallow model, and is recommended; the flag stays quiet; the rank
    correlation of replication and truth over the five modules is positive."""
    table = xor_replication(xor=True)
    deep = table.loc["deep4-funnel"]
    assert deep["truth"].max() >= table.loc[("naive128", "h1"), "truth"] + 0.15, table
    assert deep["replication"].max() > table.loc[("naive128", "h1"), "replication"], table
    assert deep["replication"].max() > table.loc[("shallow4", "h1"), "replication"], table
    assert table.loc[table["recommended"]].index[0][0] == "deep4-funnel", table
    assert not table["deep_below_baseline"].any(), table
    assert stats.spearmanr(table["replication"], table["truth"]).statistic > 0.5, table


def external_study(shift: float, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """An external dataset's sheet and values: 16 cases, 12 controls, 12 with another disease; the
    cases' first 20 genes rise by ``shift`` sd against both groups."""
    rng = np.random.default_rng(seed)
    groups = ["case"] * 16 + ["control"] * 12 + ["other"] * 12
    values = rng.normal(0.5, 0.1, size=(len(groups), len(GENES)))
    values[:16, :20] += shift * 0.1
    return pd.DataFrame({"sample": range(len(groups)), "group": groups}), values.astype(np.float32)


def shallow_layers(seed: int = 0) -> list:
    """A shallow autoencoder of 8 nodes with random weights: the verdict's deep model stands in."""
    rng = np.random.default_rng(seed)
    return [
        DenseLayer("h1", rng.normal(0, 0.1, (len(GENES), 8)), np.zeros(8), "sigmoid"),
        DenseLayer("output", rng.normal(0, 0.5, (8, len(GENES))), np.zeros(len(GENES)), "sigmoid"),
    ]


@pytest.mark.parametrize("shift", [2.0, 0.0])
def test_an_external_dataset_gets_a_verdict_per_reference_group(shift):
    """Positive case: cases shifted on 20 genes against two reference groups, a module of every
    method replicates beyond random genes and the verdict names one per group. Negative control:
    nothing planted, and the verdict says that no module replicates."""
    sheet, x = external_study(shift)
    spec = {"case": "case", "references": ["control", "other"]}
    gwas = pd.DataFrame(  # external_dataset's table: the layer's modules and the naive baseline's
        {
            "model": ["shallow8", "shallow8", "naive16"],
            "layer": "h1",
            "reference": ["control", "other", "control"],
            "empirical_p_value": [0.01, 0.2, 0.03],
        }
    )
    table = verdict.external_verdict(
        "my_study", sheet, x, spec, GENES, np.ones(len(GENES)), "shallow8", shallow_layers(),
        ["h1"], 16, SETTINGS, 20, gwas, {"splits": 4, "confidence": 0.95, "margin": 0.2,
        "min_heldout": 5}, 1,
    )  # fmt: skip
    assert list(table["disease"].unique()) == ["my_study vs control", "my_study vs other"]
    assert set(zip(table["model"], table["layer"], strict=True)) == {
        ("shallow8", "h1"),
        ("naive16", "h1"),
    }
    gwas_p = table.set_index(["disease", "model"])["gwas_empirical_p"]
    assert gwas_p["my_study vs control", "shallow8"] == 0.01
    assert gwas_p["my_study vs control", "naive16"] == 0.03
    assert np.isnan(gwas_p["my_study vs other", "naive16"])  # not in the GWAS table
    said = table.drop_duplicates("disease")["verdict"]
    if shift:
        assert (table.loc[table["model"] == "naive16", "replication"] > 2).all(), table
        assert said.str.startswith("use ").all() and table["recommended"].sum() == 2, said
    else:
        assert said.str.startswith("no module replicates beyond random genes").all(), said
