import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from deepmodules.errors import InputError
from deepmodules.interpret import clustering
from deepmodules.interpret.clustering import compare_to_genes, group_silhouettes, pca_coordinates


@pytest.fixture
def planted():
    """Four groups of 50 samples: one representation separates them, another mixes them."""
    rng = np.random.default_rng(0)
    labels = np.repeat(["liver", "blood", "brain", "skin"], 50)
    centers = rng.normal(scale=10.0, size=(4, 20))
    group = np.repeat(np.arange(4), 50)
    separated = centers[group] + rng.normal(size=(200, 20))
    mixed = rng.normal(size=(200, 20))
    return labels, separated, mixed


def test_pca_coordinates_are_centered_and_ordered():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 5)) * [10.0, 3.0, 1.0, 0.5, 0.1] + 7.0
    coords = pca_coordinates(x)
    assert coords.shape == (100, 2)
    np.testing.assert_allclose(coords.mean(axis=0), 0.0, atol=1e-10)
    assert coords[:, 0].var() > coords[:, 1].var() > 0
    # two components carry the variance of the two largest axes
    np.testing.assert_allclose(coords.var(axis=0).sum(), x[:, :2].var(axis=0).sum(), rtol=0.1)
    with pytest.raises(InputError):
        pca_coordinates(x[:1])


def test_separated_groups_have_high_silhouette(planted):
    labels, separated, mixed = planted
    good = group_silhouettes(pca_coordinates(separated), labels)
    bad = group_silhouettes(pca_coordinates(mixed), labels)
    assert sorted(good["group"]) == ["blood", "brain", "liver", "skin"]
    assert (good["n"] == 50).all()
    assert (good["silhouette"] > 0.7).all()
    assert (bad["silhouette"].abs() < 0.15).all()


def test_random_labels_give_silhouettes_near_zero(planted):
    _, separated, _ = planted
    coords = pca_coordinates(separated)
    for seed in range(3):
        labels = np.random.default_rng(seed).choice(list("abcd"), size=len(coords))
        table = group_silhouettes(coords, labels)
        assert (table["silhouette"].abs() < 0.15).all()


def test_singletons_and_missing_labels_are_skipped(planted):
    labels, separated, _ = planted
    labels = labels.astype(object)
    labels[0], labels[1] = "lonely", None
    table = group_silhouettes(pca_coordinates(separated), labels)
    assert sorted(table["group"]) == ["blood", "brain", "liver", "skin"]
    assert table.set_index("group").loc["liver", "n"] == 48
    with pytest.raises(InputError, match="groups"):
        group_silhouettes(separated[:3], ["a", "a", "b"])
    with pytest.raises(InputError, match="labels"):
        group_silhouettes(separated[:3], ["a", "b"])


def test_compare_to_genes_counts_and_binomial_p():
    groups = [f"g{i}" for i in range(5)]
    reference = [0.0, 0.2, 0.2, 0.3, 0.4]
    h3 = [0.5, 0.3, 0.25, 0.1, 0.9]  # gains 0.5, 0.1 (counts, despite rounding), 0.05, -0.2, 0.5
    h1 = [0.0, 0.0, 0.0, 0.0, 0.0]
    rows = [("genes", "cell_type", g, 10, s) for g, s in zip(groups, reference, strict=True)]
    rows += [("h3", "cell_type", g, 10, s) for g, s in zip(groups, h3, strict=True)]
    rows += [("h1", "cell_type", g, 10, s) for g, s in zip(groups, h1, strict=True)]
    rows += [("genes", "disease", "asthma", 10, 0.1), ("h3", "disease", "asthma", 10, 0.3)]
    rows += [("h3", "disease", "not_in_genes", 10, 0.9)]
    table = pd.DataFrame(rows, columns=["layer", "group_kind", "group", "n", "silhouette"])

    result = compare_to_genes(table, margin=0.1, p0=0.5).set_index(["layer", "group_kind"])
    h3_cells = result.loc[("h3", "cell_type")]
    assert (h3_cells["n_groups"], h3_cells["n_better"]) == (5, 3)
    assert h3_cells["odds_ratio"] == pytest.approx(3 / 2)
    # P(X >= 3), X ~ Binomial(5, 1/2) = (10 + 5 + 1) / 32
    assert h3_cells["p_value"] == pytest.approx(16 / 32)
    assert result.loc[("h1", "cell_type"), "n_better"] == 0
    assert result.loc[("h1", "cell_type"), "p_value"] == pytest.approx(1.0)
    assert result.loc[("h3", "disease"), "n_groups"] == 1
    assert result.loc[("h3", "disease"), "odds_ratio"] == np.inf

    stricter = compare_to_genes(table, margin=0.2, p0=0.3).set_index(["layer", "group_kind"])
    assert stricter.loc[("h3", "cell_type"), "n_better"] == 2
    assert stricter.loc[("h3", "cell_type"), "p_value"] == pytest.approx(binom.sf(1, 5, 0.3))


def test_compare_to_genes_reproduces_paper_disease_p():
    # third layer, diseases: 86 of 128 better, OR = 2.05, P = 6.27e-5
    table = pd.DataFrame(
        [("genes", "disease", f"d{i}", 10, 0.0) for i in range(128)]
        + [("h3", "disease", f"d{i}", 10, 0.5 if i < 86 else 0.0) for i in range(128)],
        columns=["layer", "group_kind", "group", "n", "silhouette"],
    )
    row = compare_to_genes(table, margin=0.1, p0=0.5).iloc[0]
    assert row["odds_ratio"] == pytest.approx(2.05, abs=0.005)
    assert row["p_value"] == pytest.approx(6.27e-5, rel=0.01)


def test_compare_to_genes_needs_reference():
    table = pd.DataFrame(
        [("h3", "disease", "asthma", 10, 0.3)],
        columns=["layer", "group_kind", "group", "n", "silhouette"],
    )
    with pytest.raises(InputError, match="reference layer 'genes'"):
        compare_to_genes(table, margin=0.1, p0=0.5)


@pytest.mark.parametrize("features", [30, 1500])
def test_pca_coordinates_match_the_full_decomposition(monkeypatch, features):
    """Read in blocks of rows, exact or by subspace iteration (above EXACT_FEATURES), the scores
    equal those of the centred matrix's SVD up to each component's sign; ``rows`` selects samples."""
    monkeypatch.setattr(clustering, "ROW_BLOCK", 64)
    rng = np.random.default_rng(4)
    scale = np.r_[6.0, 3.0, np.full(features - 2, 0.5)]
    x = (rng.normal(size=(300, features)) * scale + 2.0).astype(np.float32)
    rows = np.flatnonzero(rng.random(300) < 0.7)
    coords = pca_coordinates(x, rows=rows)
    centred = x[rows].astype(float) - x[rows].astype(float).mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :2] * s[:2]
    signs = np.sign((coords * expected).sum(axis=0))
    np.testing.assert_allclose(coords * signs, expected, atol=1e-6 * s[0])
