import keras
import numpy as np
import pytest

from deepmodules.autoencoder import DenseLayer, build_autoencoder, dense_layers
from deepmodules.lightup import lightup, node_rankings
from deepmodules.models import parse_model_id
from deepmodules.ppi import Network, colocalization, summarize_layers


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def tiny_network():
    """genes(3) -> h1(2) -> h2(2) -> output(3), weights chosen by hand."""
    h1 = DenseLayer("h1", np.zeros((3, 2)), np.zeros(2), "sigmoid")
    h2 = DenseLayer("h2", np.array([[2.0, -1.0], [0.5, 1.0]]), np.array([0.0, 0.5]), "sigmoid")
    out = DenseLayer(
        "output",
        np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0]]),
        np.array([0.1, 0.0, 0.0]),
        "sigmoid",
    )
    return [h1, h2, out]


def test_lightup_matches_hand_computation():
    table = lightup(tiny_network(), "h1", ["A", "B", "C"])
    # node 1 of h1 lit: x_h1 = (1, 0) -> x_h2 = sigmoid((2, -1) + (0, 0.5)) -> output.
    x2 = sigmoid(np.array([2.0, -0.5]))
    expected_1 = sigmoid(np.array([x2[0] + 0.1, 2 * x2[1], -x2[0] + x2[1]]))
    x2 = sigmoid(np.array([0.5, 1.5]))
    expected_2 = sigmoid(np.array([x2[0] + 0.1, 2 * x2[1], -x2[0] + x2[1]]))
    np.testing.assert_allclose(table["h1_1"], expected_1)
    np.testing.assert_allclose(table["h1_2"], expected_2)
    assert list(table.index) == ["A", "B", "C"]


def test_lightup_of_last_hidden_layer_uses_output_layer_only():
    table = lightup(tiny_network(), "h2", ["A", "B", "C"], max_activation=0.5)
    np.testing.assert_allclose(table["h2_2"], sigmoid(np.array([0.1, 1.0, 0.5])))


def test_lightup_agrees_with_keras_forward_pass():
    model = build_autoencoder(6, parse_model_id("deep4"), seed=0)
    layers = dense_layers(model)
    table = lightup(layers, "h2", [f"g{i}" for i in range(6)])
    h3 = model.get_layer("h3")
    output = model.get_layer("output")
    expected = keras.ops.convert_to_numpy(output(h3(np.eye(4, dtype="float32"))))
    np.testing.assert_allclose(table.to_numpy().T, expected, rtol=1e-5)


def test_rankings_order_genes_by_activation():
    table = lightup(tiny_network(), "h2", ["A", "B", "C"])
    ranks = node_rankings(table, top=2)
    first = ranks[(ranks["node"] == "h2_2") & (ranks["rank"] == 1)]["gene"].item()
    assert first == table["h2_2"].idxmax()
    assert len(ranks) == 4


def test_unknown_layer_is_refused():
    with pytest.raises(Exception, match="not a hidden layer"):
        lightup(tiny_network(), "h3", ["A", "B", "C"])


N_COMMUNITIES, COMMUNITY_SIZE, N_BACKGROUND = 8, 15, 80


def community_expression(seed, follow_network):
    """Network with planted communities, and expression driven by communities of genes.

    Each sample activates every community c with a_c ~ U(0, 1); a community gene's expression is
    a_c plus noise, a background gene's is noise. With follow_network the expression communities
    are the network's; otherwise they are random groups of genes, unrelated to the network.
    """
    rng = np.random.default_rng(seed)
    n = N_COMMUNITIES * COMMUNITY_SIZE + N_BACKGROUND
    community = np.full(n, -1)
    community[: N_COMMUNITIES * COMMUNITY_SIZE] = np.repeat(
        np.arange(N_COMMUNITIES), COMMUNITY_SIZE
    )
    same = (community[:, None] == community[None, :]) & (community[:, None] >= 0)
    linked = np.triu(rng.random((n, n)) < np.where(same, 0.4, 0.01), k=1)
    genes = [f"G{i}" for i in range(n)]
    network = Network.from_edges(
        genes, [(genes[i], genes[j]) for i, j in zip(*np.nonzero(linked), strict=True)]
    )
    program = community if follow_network else rng.permutation(community)
    activity = rng.random((800, N_COMMUNITIES))
    signal = np.where(program >= 0, activity[:, np.maximum(program, 0)], 0.0)
    expression = np.clip(0.8 * signal + 0.1 * rng.random((800, n)), 0, 1).astype(np.float32)
    return network, genes, expression


def h1_colocalization(follow_network):
    """Network colocalization of the h1 light-up gene sets of a deep autoencoder trained on the
    community expression: the per-layer summary and each node's z = (H - null mean) / null sd."""
    network, genes, expression = community_expression(0, follow_network)
    model = build_autoencoder(
        len(genes), parse_model_id("deep16"), optimizer={"learning_rate": 0.01}, seed=0
    )
    model.fit(expression, expression, epochs=40, batch_size=32, verbose=0)
    rankings = lightup(dense_layers(model), "h1", genes)
    table = colocalization(rankings, network, ks=(COMMUNITY_SIZE,), n_null=50, seed=0)
    z = (table["harmonic_distance"] - table["null_harmonic_distance_mean"]) / table[
        "null_harmonic_distance_sd"
    ]
    return summarize_layers(table.assign(layer="h1")).iloc[0], z


def test_h1_lightup_genes_colocalize_in_the_network():
    summary, z = h1_colocalization(follow_network=True)
    assert summary["distance_p_value"] < 0.01
    assert summary["n_closer"] == summary["n_nodes"]
    assert (z < -2).all()


def test_no_colocalization_when_expression_ignores_the_network():
    """Expression programs of random gene groups: the autoencoder learns them, but its light-up
    gene sets are no closer in the network than random genes, node by node. (The Wilcoxon test
    over nodes is not used here: nodes share top genes, so it is anti-conservative.)"""
    summary, z = h1_colocalization(follow_network=False)
    assert summary["n_closer"] == 0
    assert z.mean() > -1
