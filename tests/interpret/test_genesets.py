import numpy as np
import pandas as pd
import pytest

from deepmodules.data.genesets import read_gmt
from deepmodules.errors import InputError
from deepmodules.interpret.genesets import (
    annotated,
    hypergeometric_pvalues,
    layer_enrichment,
    membership,
)
from deepmodules.interpret.lightup import node_rankings
from deepmodules.validate.enrichment import fisher_enrichment

UNIVERSE = [f"G{i}" for i in range(400)]
SETTINGS = {"min_size": 10, "max_size": 500, "alpha": 0.05, "seed": 0}  # config genesets, seed


def write_gmt(path, sets):
    lines = [f"{name}\tsome description\t" + "\t".join(genes) for name, genes in sets.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def collection(tmp_path):
    """Twenty pathways of 20 universe genes each, plus genes outside the universe."""
    sets = {f"PATHWAY_{p}": UNIVERSE[20 * p : 20 * p + 20] + ["NOT_EXPRESSED"] for p in range(20)}
    return read_gmt(write_gmt(tmp_path / "tiny.gmt", sets))


def test_read_gmt(tmp_path, collection):
    assert len(collection) == 20
    assert collection["PATHWAY_1"][:2] == ["G20", "G21"]
    bad = tmp_path / "bad.gmt"
    bad.write_text("ONLY_A_NAME\n")
    with pytest.raises(InputError, match="line 1"):
        read_gmt(bad)
    bad.write_text("A\tx\tG1\nA\tx\tG2\n")
    with pytest.raises(InputError, match="repeats"):
        read_gmt(bad)
    bad.write_text("\n")
    with pytest.raises(InputError, match="no gene set"):
        read_gmt(bad)


def test_pvalues_are_fisher_upper_tails(collection):
    names, sets = membership(collection, UNIVERSE, min_size=10, max_size=500)
    assert len(names) == 20 and sets.shape == (400, 20)
    rng = np.random.default_rng(0)
    top = np.stack([np.arange(10), rng.choice(400, 10, replace=False)])
    p = hypergeometric_pvalues(top, sets)
    for row, genes in enumerate(top):
        for column, name in enumerate(names[:5]):
            expected = fisher_enrichment(np.take(UNIVERSE, genes), collection[name], UNIVERSE)
            assert p[row, column] == pytest.approx(expected["p_value"], rel=1e-9)
    assert annotated(p, 0.05).tolist() == [True, False]
    names, _ = membership(collection, UNIVERSE, min_size=21, max_size=500)
    assert names == []


def scores(n_nodes, planted, seed):
    """Gene x node light-up scores; planted: node j's top genes are pathway j."""
    rng = np.random.default_rng(seed)
    values = rng.random((len(UNIVERSE), n_nodes))
    if planted:
        for j in range(n_nodes):
            values[20 * j : 20 * j + 20, j] += 1
    return pd.DataFrame(values, index=UNIVERSE, columns=[f"h1_{j + 1}" for j in range(n_nodes)])


def test_pathway_nodes_are_annotated_random_nodes_are_not(collection):
    rankings = node_rankings(scores(16, planted=True, seed=0), top=50)
    result = layer_enrichment(rankings, UNIVERSE, collection, k=20, n_random=200, **SETTINGS)
    assert result["fraction"] == 1.0
    assert result["random_fraction"] < 0.1
    assert result["p_value"] < 1e-6

    rankings = node_rankings(scores(16, planted=False, seed=1), top=50)
    result = layer_enrichment(rankings, UNIVERSE, collection, k=20, n_random=200, **SETTINGS)
    assert result["fraction"] < 0.2
    assert result["p_value"] > 0.05


def test_layer_enrichment_rejects_short_rankings_and_foreign_sets(collection):
    rankings = node_rankings(scores(2, planted=False, seed=0), top=10)
    with pytest.raises(InputError, match="fewer than k = 20"):
        layer_enrichment(rankings, UNIVERSE, collection, k=20, n_random=1000, **SETTINGS)
    with pytest.raises(InputError, match="no set has"):
        layer_enrichment(
            rankings, UNIVERSE, {"MOUSE": ["Actb", "Gapdh"]}, k=5, n_random=1000, **SETTINGS
        )
