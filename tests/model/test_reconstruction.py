import numpy as np
import pandas as pd
import pytest

from deepmodules import figures
from deepmodules.model import training
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, dense_layers
from deepmodules.model.network import DenseLayer, reconstruct
from deepmodules.model.reconstruction import (
    failed_models,
    gate,
    model_reconstruction,
    r2_global,
    r2_per_gene,
    split_r2,
)


def test_r2_hand_computed():
    x = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 4.0]])
    xhat = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    # global mean 1.5; SS_tot = 2.25+.25+.25+.25+.25+6.25 = 9.5; SS_res = 2
    assert np.isclose(r2_global(x, xhat), 1 - 2 / 9.5)
    # gene 1 perfect; gene 2: mean 2, SS_tot = 1+1+4 = 6, SS_res = 2
    np.testing.assert_allclose(r2_per_gene(x, xhat), [1.0, 1 - 2 / 6])


def test_r2_gene_constant_is_nan():
    x = np.array([[1.0, 0.0], [1.0, 1.0]])
    assert np.isnan(r2_per_gene(x, x)[0])


def rank2_matrix():
    """120 samples × 12 genes in [0, 1]: a rank-2 sigmoid structure plus noise (sd 0.02)."""
    rng = np.random.default_rng(0)
    values = 1 / (1 + np.exp(-(rng.normal(size=(120, 2)) @ rng.normal(size=(2, 12)) * 2)))
    return np.clip(values + rng.normal(0, 0.02, values.shape), 0, 1).astype(np.float32)


def test_split_r2_in_blocks_equals_the_whole_split():
    """Summed over blocks of 7 rows, R² is that of the whole split held at once (global and per gene)."""
    x = rank2_matrix()
    model = build_autoencoder(x.shape[1], parse_model_id("deep4"), seed=1)
    layers = dense_layers(model)
    rows = np.flatnonzero(np.arange(len(x)) % 3 != 0)
    whole = np.asarray(reconstruct(layers, x[rows]), dtype=np.float64)
    r2_all, r2_genes = split_r2(layers, x, rows, block=7)
    assert np.isclose(r2_all, r2_global(x[rows], whole), rtol=1e-6)
    np.testing.assert_allclose(r2_genes, r2_per_gene(x[rows], whole), rtol=1e-6)
    assert np.isnan(
        split_r2(layers, np.ones((20, 12), np.float32), np.arange(20), block=6)[1]
    ).all()


def reconstruction_rows(model_id, layers, x, train):
    rows = []
    for split, mask in (("train", train), ("test", ~train)):
        r2 = r2_per_gene(x[mask], reconstruct(layers, x[mask]))
        rows.append({"model": model_id, "split": split, "r2_gene_median": np.nanmedian(r2)})
    return rows


def test_gate_flags_an_under_trained_model_and_passes_a_trained_one(tmp_path, caplog):
    x = rank2_matrix()
    train = np.arange(len(x)) < 90
    rows = []
    for model_id, epochs, lr in (("deep4", 300, 1e-2), ("shallow4", 1, 1e-4)):
        model = build_autoencoder(
            x.shape[1], parse_model_id(model_id), {"learning_rate": lr, "decay": 0}, seed=1
        )
        training.train(model, x, np.flatnonzero(train), np.flatnonzero(~train), epochs, 16, 1)
        rows += reconstruction_rows(model_id, dense_layers(model), x, train)
    table = gate(pd.DataFrame(rows), min_median_r2=0.1)
    verdict = table.drop_duplicates("model").set_index("model")
    assert (
        verdict.loc["deep4", "r2_gene_median"] > 0.5 and verdict.loc["deep4", "reconstruction_ok"]
    )
    assert verdict.loc["shallow4", "r2_gene_median"] < 0.1
    assert not verdict.loc["shallow4", "reconstruction_ok"]
    assert verdict.loc["deep4", "note"] == "" and "min_median_r2" in verdict.loc["shallow4", "note"]
    assert "shallow4: median test R²" in caplog.text and "deep4:" not in caplog.text
    path = tmp_path / "reconstruction.tsv"
    table.to_csv(path, sep="\t", index=False)
    assert failed_models(path) == {"shallow4"}


def figure_table(
    ok_shallow: bool, deep_converged: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [
        {"model": m, "depth": d, "width": 4, "variant": "plain", "split": s, "error": 0.3,
         "r2_gene_median": 0.7, "n_flat_h1": 1, "n_flat_h2": 0 if d == "deep" else np.nan,
         "n_flat_h3": 2 if d == "deep" else np.nan, "converged": deep_converged or d != "deep",
         "reconstruction_ok": ok_shallow or d == "deep"}
        for m, d in (("deep4", "deep"), ("shallow4", "shallow"))
        for s in ("train", "test")
    ]  # fmt: skip
    genes = pd.DataFrame(
        {"model": ["deep4", "shallow4"], "split": "test", "gene": "g1", "r2": [0.7, -0.1]}
    )
    return pd.DataFrame(rows), genes


def test_figure_marks_models_that_failed_the_gate():
    fig = figures.reconstruction(*figure_table(ok_shallow=False))
    notes = [t.get_text() for t in fig.texts]
    assert any(n.startswith("✗") and "shallow4" in n and "deep4" not in n for n in notes)
    assert any("deep4 1/0/2" in n and "shallow4 1" in n for n in notes)
    labels = [label.get_text() for label in fig.axes[2].get_xticklabels()]
    assert labels == ["✗ shallow4"]
    fig = figures.reconstruction(*figure_table(ok_shallow=True))
    assert not any(t.get_text().startswith("✗") for t in fig.texts)
    assert [label.get_text() for label in fig.axes[2].get_xticklabels()] == ["shallow4"]


def test_figure_marks_models_whose_training_a_cap_ended():
    fig = figures.reconstruction(*figure_table(ok_shallow=True, deep_converged=False))
    notes = [t.get_text() for t in fig.texts]
    assert any(n.startswith("† training ended at its cap") and n.endswith("deep4") for n in notes)
    assert [label.get_text() for label in fig.axes[1].get_xticklabels()] == ["deep4 †"]
    fig = figures.reconstruction(*figure_table(ok_shallow=True))
    assert not any("†" in t.get_text() for t in fig.texts)


def test_model_reconstruction_scores_both_splits_of_a_model():
    """A network that copies its input reconstructs every gene (R² 1); one that outputs a constant
    explains nothing of a gene that varies (R² ≤ 0)."""
    rng = np.random.default_rng(0)
    values = rng.uniform(size=(40, 3))
    train = np.arange(40) < 30
    copy = [
        DenseLayer("h1", np.eye(3), np.zeros(3), "linear"),
        DenseLayer("output", np.eye(3), np.zeros(3), "linear"),
    ]
    rows, genes = model_reconstruction("deep8", copy, values, train, ["A", "B", "C"])
    assert [(r["split"], r["depth"], r["width"]) for r in rows] == [
        ("train", "deep", 8),
        ("test", "deep", 8),
    ]
    assert all(r["r2_global"] == pytest.approx(1) for r in rows)
    assert len(genes) == 6 and np.allclose(genes["r2"], 1)
    constant = [copy[0], DenseLayer("output", np.zeros((3, 3)), np.full(3, 0.5), "linear")]
    rows, genes = model_reconstruction("deep8", constant, values, train, ["A", "B", "C"])
    assert all(r["r2_gene_median"] <= 0 for r in rows)
