"""The planted-truth scorecard: its measures, and what each method recovers in each simulator regime."""

import json
import runpy
from types import SimpleNamespace

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from snakemake.iocontainers import Namedlist

from deepmodules import figures, layout
from deepmodules import simulate as sim
from deepmodules.data import compendium
from deepmodules.errors import InputError
from deepmodules.interpret.encodability import encodability
from deepmodules.model import training
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, dense_layers
from deepmodules.modules.reverse_training import disease_scores
from deepmodules.validate import replication, truth
from tests.conftest import ROOT, SEED, SMALL, small_config, verdict_of_splits

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
    assert result["precision_at_n_planted"] == 1.0
    assert result["auroc_p"] < 1e-15


def test_reversed_ranking_scores_zero():
    result = truth.recovery(ranked(GENES[::-1]), PLANTED, k=30)
    assert result["auroc"] == 0.0
    assert result["precision_at_k"] == 0.0 and result["recall_at_100"] == 0.0
    assert result["precision_at_n_planted"] == 0.0
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


# The regimes at test size: 12 programs, so that the program regime has one free per disease, and
# 1,000 samples per platform, so that the rare regime's 1% of them reaches min_cases (10) cases.
REGIME_SIZE = {**SMALL, "n_communities": 12, "n_microarray_samples": 1000, "n_rnaseq_samples": 1000}
# Disease studies as the demo's: two per disease, 20 controls each.
DEMO_STUDIES = {"n_studies_per_disease": 2, "controls_per_study": 20}
MODELS = ("deep32", "shallow32")
# Twice the planted genes (15): the demo's 100 would hold a third of the 300 genes.
MODULE_SIZE = 30
SPLITS = 10  # the verdict's held-out splits, as the workflow's default
NAIVE = "naive128"


def regime_scorecard(
    regime: str, root, size: dict | None = None
) -> tuple[pd.DataFrame, dict, dict, pd.DataFrame]:
    """The scorecard of the microarray arm simulated in ``regime``: deep32 (h1-h3), shallow32 and the
    naive baseline, built with the package functions as the workflow's rules do, at test size, and
    the verdict the workflow would give without the truth (held-out replication over 10 splits).

    ``size`` overrides :data:`REGIME_SIZE`. Returns the scorecard, the score tables by (model, layer,
    disease), the planted genes and the verdict table.
    """
    sim.simulate(root / "sources", {**REGIME_SIZE, **(size or {})}, SEED, regime)
    config = small_config(root / "sources")
    config["modules"]["size"] = MODULE_SIZE
    data = compendium.prepare(
        config["datasets"]["microarray"], config["diseases"], 1, root / "compendium"
    )
    values = np.asarray(data.values)
    split = data.samples["split"].to_numpy()
    train, test = (np.flatnonzero(split == name) for name in ("train", "test"))
    diseases = {disease_id: d["label"] for disease_id, d in config["diseases"].items()}
    settings = {**config["reverse_training"], "epochs": 30, "batch_size": 32, "learning_rate": 0.01}

    splits = []
    # the leading arguments of disease_scores and heldout_replication
    compendium_arguments = (values, data.samples, data.genes, diseases, "normal", settings)

    def scores(model: str, layer: str, layers=None, hidden=None) -> dict:
        where = (
            {"hidden": hidden}
            if layers is None
            else {"replicates": [{"layers": layers, "layer": layer}]}
        )
        held = replication.heldout_replication(
            *compendium_arguments,
            config["modules"]["size"],
            SPLITS,
            SEED,
            gene_span=data.gene_range.span,
            **where,
        )
        splits.append(held.assign(model=model, layer=layer))
        tables = disease_scores(
            *compendium_arguments,
            layers,
            layer,
            hidden,
            gene_span=data.gene_range.span,
        )
        return {(model, layer, disease): table for disease, table in tables.items()}

    tables = scores(NAIVE, "h1", hidden=128)
    networks = {}
    for model_id in MODELS:
        spec = parse_model_id(model_id)
        model = build_autoencoder(len(data.genes), spec, {"learning_rate": 0.01}, seed=1)
        training.train(model, values, train, test, stopping=60, batch_size=32, seed=1)
        networks[model_id] = dense_layers(model)
        for layer in spec.layers:
            tables |= scores(model_id, layer, networks[model_id])
    encoded = encodability(
        networks,
        [(m, layer) for m in MODELS for layer in parse_model_id(m).layers],
        values,
        data.samples,
        diseases,
        "normal",
        config["encodability"]["min_r"],
    )
    planted = truth.planted_genes(root / "sources" / sim.GROUND_TRUTH_FILE)
    card = truth.scorecard(tables, planted, config["modules"]["size"], NAIVE)
    decision = verdict_of_splits(pd.concat(splits, ignore_index=True), NAIVE, encoded)
    return card, tables, planted, decision.reset_index()


def flag_against_truth(card: pd.DataFrame, decision: pd.DataFrame) -> pd.DataFrame:
    """Per planted disease: the best deep layer's and the naive baseline's share of planted genes among
    their top n (n = the planted genes), the verdict's flag, and the rank correlation over the five
    modules of held-out replication with that share."""
    tested = card[card["n_planted"] > 0]
    joined = decision.merge(tested, on=["model", "layer", "disease"])
    share = joined.pivot_table(
        index="disease", columns="model", values="precision_at_n_planted", aggfunc="max"
    )
    flags = decision.drop_duplicates("disease").set_index("disease")["deep_below_baseline"]
    rho = joined.groupby("disease").apply(
        lambda rows: stats.spearmanr(rows["replication"], rows["precision_at_n_planted"]).statistic,
        include_groups=False,
    )
    return pd.DataFrame(
        {
            "deep": share["deep32"],
            "naive": share[NAIVE],
            "flag": flags.reindex(share.index),
            "rho": rho,
        }
    )


def assert_flag_follows_truth(card: pd.DataFrame, decision: pd.DataFrame) -> pd.DataFrame:
    """The flag fires wherever the best deep layer recovers less than half of what the naive baseline
    recovers, and stays quiet wherever it recovers at least as much."""
    table = flag_against_truth(card, decision)
    assert table.loc[table["deep"] < 0.5 * table["naive"], "flag"].all(), table
    assert not table.loc[table["deep"] >= table["naive"], "flag"].any(), table
    return table


def mean_auroc(card: pd.DataFrame) -> pd.Series:
    return truth.summary(card).set_index(["model", "layer"])["auroc"]


def test_direct_regime_every_method_recovers_every_disease(tmp_path):
    """Strong per-gene shifts in 4% of the samples per disease (the demo's regime): every method and
    layer ranks the planted genes at the top. Negative control: each disease's ranking scored against
    another disease's planted genes stays at or below chance."""
    card, tables, planted, decision = regime_scorecard("direct", tmp_path)
    tested = card[card["n_planted"] > 0]
    assert len(tested) == 5 * 5  # 5 planted diseases × (naive, deep32 h1-h3, shallow32)
    assert (tested["note"] == "recovered").all(), tested
    assert (mean_auroc(card) > 0.99).all()
    diseases = sorted(tested["disease"].unique())
    naive = tested[tested["model"] == NAIVE]
    swapped = [
        truth.recovery(tables[(NAIVE, "h1", disease)], set(planted[other]), k=100)["auroc"]
        for disease in diseases
        for other in diseases
        if other != disease
    ]
    assert np.mean(swapped) < 0.55, swapped
    assert naive["auroc"].min() > 0.99
    # The verdict: no flag where the deep layers recover as much as the naive baseline.
    assert_flag_follows_truth(card, decision)


def test_program_regime_the_compressed_space_helps(tmp_path):
    """Program-mediated effects: every method is above chance on every disease, the best deep layer's
    mean AUROC beats the naive baseline's, and no deep layer is flagged below naive, neither by the
    scorecard nor by the verdict, whose held-out replication, blind to the truth, orders the modules
    of the diseases as the truth does (Spearman rho over the five modules positive for every disease,
    above 0.5 for most: where the modules tie within 0.05 in replication, their order is noise)."""
    card, _, _, decision = regime_scorecard("program", tmp_path)
    tested = card[card["n_planted"] > 0]
    assert (tested["auroc_p"] < 0.05).all(), tested
    means = mean_auroc(card)
    deep = means.loc["deep32"]
    assert deep.max() > means.loc[(NAIVE, "h1")], means
    assert not tested[tested["model"] == "deep32"]["note"].str.contains("below naive").any()
    table = assert_flag_follows_truth(card, decision)
    assert not table["flag"].any(), table
    assert (table["rho"] > 0).all() and table["rho"].median() > 0.5, table


def test_rare_regime_the_scorecard_flags_deep_layers_below_naive(tmp_path):
    """Direct effects in 1% of the samples per disease: the naive baseline (and the shallow model)
    still rank the planted genes at the top, the deep model's layers do not, and the scorecard says so
    in the notes: below naive on most diseases (with the default score still above chance: AUROC
    0.74-0.91, where the scaled-axis contrast left some diseases at chance)."""
    card, _, _, decision = regime_scorecard("rare", tmp_path)
    means = mean_auroc(card)
    assert means.loc[(NAIVE, "h1")] > 0.99
    assert (means.loc["deep32"] < means.loc[(NAIVE, "h1")] - 0.1).all(), means
    deep = card[(card["model"] == "deep32") & (card["n_planted"] > 0)]
    for layer, notes in deep.groupby("layer")["note"]:
        assert notes.str.contains("below naive").sum() >= 3, (layer, notes)
    # The verdict flags the diseases where the deep layers fall far behind, without the truth.
    table = assert_flag_follows_truth(card, decision)
    assert table["flag"].sum() >= 2 and (table["rho"] > 0.5).all(), table


def test_single_gene_regime_the_verdict_says_the_deep_layers_lose(tmp_path):
    """Weak shifts of random genes that follow no program, in the cases of one cell type (the
    independent simulator's setting), in disease studies as the demo's: the deep layers hold almost
    none of the planted genes where the naive baseline holds most; the verdict flags every disease,
    recommends the naive baseline, and its replication orders the modules as the truth does."""
    card, _, _, decision = regime_scorecard("single", tmp_path, DEMO_STUDIES)
    table = assert_flag_follows_truth(card, decision)
    assert (table["deep"] < 0.5 * table["naive"]).all(), table
    assert table["flag"].all() and (table["rho"] > 0.5).all(), table
    planted = decision[decision["disease"] != "sham_disease"]
    assert (planted.loc[planted["recommended"], "model"] == NAIVE).all(), planted


def run_script(name: str, **fields) -> None:
    """Run a rule script in this process with a stand-in for Snakemake's ``snakemake`` object."""
    smk = SimpleNamespace(log=[], threads=1, rule=name, **fields)
    runpy.run_path(str(ROOT / "workflow" / "scripts" / f"{name}.py"), {"snakemake": smk})


def test_rule_scripts_write_the_scorecard_and_its_figure(tmp_path):
    """The rule scripts on module tables on disk: a perfect, a random and a reversed ranking of one
    disease, and a disease without planted genes; the figure marks the rows the scorecard flags."""
    rng = np.random.default_rng(2)
    orders = {"naive128": GENES, "deep128": list(rng.permutation(GENES)), "shallow128": GENES[::-1]}
    models = [("deep128", "h3"), ("shallow128", "h1"), ("naive128", "h1")]
    modules = {}  # named inputs, as the rule passes them (deepmodules.layout.module_inputs)
    for model, layer in models:
        for disease in ("asthma", "sham_disease"):
            path = tmp_path / model / layer / f"{disease}.tsv"
            path.parent.mkdir(parents=True, exist_ok=True)
            ranked(orders[model]).assign(score_sd=0.0, rank=range(1, 1001)).to_csv(
                path, sep="\t", index=False
            )
            modules[layout.module_key(model, layer, disease)] = str(path)
    ground_truth = tmp_path / "ground_truth.json"
    ground_truth.write_text(
        json.dumps(
            {
                "diseases": {
                    "asthma": {"module_genes": sorted(PLANTED)},
                    "sham_disease": {"module_genes": []},
                }
            }
        )
    )
    table = tmp_path / "truth_recovery.tsv"
    run_script(
        "truth_recovery",
        input=Namedlist(fromdict={**modules, "truth": str(ground_truth)}),
        output=[str(table)],
        params=SimpleNamespace(k=100, naive="naive128"),
    )
    card = pd.read_csv(table, sep="\t").set_index(["model", "disease"])
    assert card.loc[("naive128", "asthma"), "auroc"] == 1.0
    assert card.loc[("shallow128", "asthma"), "auroc"] == 0.0
    assert abs(card.loc[("deep128", "asthma"), "auroc"] - 0.5) < 0.15
    assert card.loc[("deep128", "asthma"), "note"].startswith("not above chance")
    assert card.loc[("deep128", "sham_disease"), "note"].startswith("no planted genes")

    pdf, png = tmp_path / "supp.pdf", tmp_path / "supp.png"
    figure = {}
    real_save = figures.save
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            figures, "save", lambda fig, *paths: figure.update(fig=fig) or real_save(fig, *paths)
        )
        run_script(
            "figure_truth",
            input=[str(table), str(table)],
            output=SimpleNamespace(pdf=str(pdf), png=str(png)),
            params=SimpleNamespace(datasets=["microarray", "rnaseq"]),
        )
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")
    axes = figure["fig"].axes
    assert len(axes) == 4
    # Fig. 3 order (deep, shallow, naive); red dots for the deep (chance) and shallow (reversed) rows.
    labels = [tick.get_text() for tick in axes[0].get_xticklabels()]
    assert labels == ["deep128 h3", "shallow128 h1", "naive128 h1"]
    colors = [tuple(c.get_facecolor()[0][:3]) for c in axes[0].collections]
    red = matplotlib.colors.to_rgb("#d62828")
    assert colors == [red, red, (0.0, 0.0, 0.0)]
