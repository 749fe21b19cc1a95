"""Node activity: moments over samples, flat nodes, per-layer counts."""

import numpy as np
import pandas as pd

from deepmodules.model.activity import flat_counts, mark_flat, node_activity, read_activity
from deepmodules.model.network import DenseLayer
from deepmodules.model.reconstruction import flat_node_columns


def network(rng):
    # h1: node 1 follows gene 1, node 2 has a zero kernel and a large bias (saturated: flat).
    h1 = DenseLayer(
        "h1", np.array([[4.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), np.array([-2.0, 9.0]), "sigmoid"
    )
    h2 = DenseLayer("h2", rng.normal(size=(2, 2)), np.zeros(2), "sigmoid")
    out = DenseLayer("output", rng.normal(size=(2, 3)), np.zeros(3), "sigmoid")
    return [h1, h2, out]


def test_moments_match_direct_computation_and_flat_nodes_found(tmp_path):
    rng = np.random.default_rng(0)
    layers = network(rng)
    x = rng.uniform(size=(500, 3))
    moments = node_activity(layers, x, batch=64)
    assert list(moments.columns) == ["layer", "node", "mean", "sd"]  # flat is the reader's call
    table = mark_flat(moments, 0.01)
    h = layers[0](x)
    h1 = table[table["layer"] == "h1"]
    np.testing.assert_allclose(h1["mean"], h.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(h1["sd"], h.std(axis=0, ddof=1), rtol=1e-6, atol=1e-6)
    assert h1["flat"].tolist() == [False, True]
    assert list(table["node"]) == ["h1_1", "h1_2", "h2_1", "h2_2"]
    counts = flat_counts(table).set_index("layer")
    assert counts.loc["h1", "n_flat"] == 1 and counts.loc["h1", "n_live"] == 1
    path = tmp_path / "node_activity.tsv"
    moments.to_csv(path, sep="\t", index=False)
    pd.testing.assert_frame_equal(read_activity(path, 0.01), table, check_dtype=False)
    assert read_activity(path, 1.0)["flat"].all()  # a new threshold needs no new table


def test_threshold_zero_flags_nothing():
    rng = np.random.default_rng(1)
    table = mark_flat(node_activity(network(rng), rng.uniform(size=(50, 3))), 0.0)
    assert not table["flat"].any()


def test_flat_node_columns_match_node_activity():
    rng = np.random.default_rng(0)
    table = mark_flat(node_activity(network(rng), rng.uniform(size=(200, 3))), 0.01)
    columns = flat_node_columns(flat_counts(table))
    assert columns == {
        f"n_flat_{layer}": int(table.loc[table["layer"] == layer, "flat"].sum())
        for layer in ("h1", "h2")
    }
    assert columns["n_flat_h1"] == 1
