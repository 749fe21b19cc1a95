import numpy as np
import pytest

from deepmodules.errors import InputError
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, center_biases, dense_layers
from deepmodules.model.network import load_layers, reconstruct, save_layers


@pytest.mark.parametrize(
    ("model_id", "widths", "variant"),
    [
        ("deep512", [512, 512, 512], "plain"),
        ("shallow1024", [1024], "plain"),
        ("deep64-funnel", [128, 64, 128], "funnel"),
        ("deep512-sparse", [512, 512, 512], "sparse"),
    ],
)
def test_model_ids(model_id, widths, variant):
    spec = parse_model_id(model_id)
    assert spec.widths == widths and spec.variant == variant


@pytest.mark.parametrize(
    "model_id", ["deep0", "wide512", "shallow64-sparse", "deep-12", "deep512-x"]
)
def test_bad_model_ids(model_id):
    with pytest.raises(InputError, match="model id"):
        parse_model_id(model_id)


@pytest.mark.parametrize("model_id", ["deep8", "shallow8", "deep8-denoising", "deep8-sparse"])
def test_numpy_forward_matches_keras(model_id):
    model = build_autoencoder(12, parse_model_id(model_id), seed=1)
    x = np.random.default_rng(0).random((5, 12)).astype("float32")
    np.testing.assert_allclose(
        reconstruct(dense_layers(model), x), model.predict(x, verbose=0), rtol=1e-5
    )


def test_same_seed_same_initial_weights():
    a = dense_layers(build_autoencoder(10, parse_model_id("deep4"), seed=3))
    b = dense_layers(build_autoencoder(10, parse_model_id("deep4"), seed=3))
    np.testing.assert_array_equal(a[0].kernel, b[0].kernel)


def test_saved_layers_round_trip_and_reconstruct_as_keras(tmp_path):
    model = build_autoencoder(12, parse_model_id("deep8-funnel"), seed=2)
    x = np.random.default_rng(1).random((6, 12)).astype("float32")
    center_biases(model, x)  # nonzero biases, so that they are checked too
    layers = dense_layers(model)
    path = tmp_path / "network.npz"
    save_layers(path, layers)
    loaded = load_layers(path)
    assert [p.name for p in tmp_path.iterdir()] == ["network.npz"]  # no temporary file left
    assert [(d.name, d.activation) for d in loaded] == [(d.name, d.activation) for d in layers]
    for saved, dense in zip(loaded, layers, strict=True):
        assert saved.kernel.dtype == saved.bias.dtype == np.float64
        np.testing.assert_array_equal(saved.kernel, dense.kernel.astype(np.float32))
        np.testing.assert_array_equal(saved.bias, dense.bias.astype(np.float32))
    np.testing.assert_allclose(reconstruct(loaded, x), model.predict(x, verbose=0), rtol=1e-5)
