import keras
import numpy as np
import pytest

from deepmodules.autoencoder import DenseLayer, build_autoencoder, dense_layers
from deepmodules.lightup import lightup, node_rankings
from deepmodules.models import parse_model_id


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
