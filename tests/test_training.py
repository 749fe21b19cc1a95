import numpy as np
import pytest

from deepmodules.errors import InputError
from deepmodules.model import training
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, float32_copy
from tests.xor_compendium import all_pairs, binary_programs, xor_expression


@pytest.fixture
def matrix(tmp_path):
    """A memory-mapped 96 × 12 matrix in [0, 1] of rank-2 structure plus noise."""
    rng = np.random.default_rng(0)
    values = 1 / (1 + np.exp(-(rng.normal(size=(96, 2)) @ rng.normal(size=(2, 12)))))
    values = np.clip(values + rng.normal(0, 0.02, values.shape), 0, 1).astype(np.float32)
    np.save(tmp_path / "expression.npy", values)
    return np.load(tmp_path / "expression.npy", mmap_mode="r")


ROWS = np.arange(72), np.arange(72, 96)


def weights(model):
    return [np.asarray(v) for v in model.variables]


def optimizer_state(model):
    return [np.asarray(v) for v in model.optimizer.variables]


@pytest.mark.parametrize(
    "model_id", ["deep4", "shallow4", "deep4-denoising", "deep4-sparse", "deep4-funnel"]
)
def test_every_model_kind_trains(matrix, model_id):
    model = build_autoencoder(matrix.shape[1], parse_model_id(model_id), seed=1)
    before = weights(model)
    history = training.train(model, matrix, *ROWS, epochs=2, batch_size=16, seed=1)
    assert history["epoch"].tolist() == [1, 2]
    assert np.isfinite(history[["train_loss", "test_loss"]].to_numpy()).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, weights(model), strict=True))


def test_epoch_order_depends_on_seed_and_epoch_only():
    rows = np.arange(10, 30)
    first = training.epoch_order(rows, 3, 5)
    np.testing.assert_array_equal(first, training.epoch_order(rows, 3, 5))
    assert sorted(first) == list(rows)
    assert not np.array_equal(first, training.epoch_order(rows, 3, 6))


class Killed(Exception):
    pass


@pytest.mark.parametrize("model_id", ["deep4", "deep4-denoising"])
@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_resume_after_kill_equals_uninterrupted_run(matrix, tmp_path, monkeypatch, model_id, dtype):
    spec = parse_model_id(model_id)
    settings = training.fingerprint(model=model_id)
    straight = build_autoencoder(matrix.shape[1], spec, seed=2, dtype=dtype)
    expected = training.train(straight, matrix, *ROWS, epochs=4, batch_size=16, seed=2)

    # A run killed in the middle of its third epoch: epochs 1 and 2 are checkpointed.
    checkpoint = tmp_path / "checkpoint" / "state.npz"
    killed = build_autoencoder(matrix.shape[1], spec, seed=2, dtype=dtype)
    batches = training.batches

    def dying_batches(values, rows, batch_size):
        for batch in batches(values, rows, batch_size):
            if killed.optimizer.iterations >= 2 * 5 + 2:
                raise Killed
            yield batch

    monkeypatch.setattr(training, "batches", dying_batches)
    with pytest.raises(Killed):
        training.train(killed, matrix, *ROWS, 4, 16, 2, checkpoint, settings)
    monkeypatch.setattr(training, "batches", batches)

    rerun = build_autoencoder(matrix.shape[1], spec, seed=2, dtype=dtype)
    resumed = training.train(rerun, matrix, *ROWS, 4, 16, 2, checkpoint, settings)
    for a, b in zip(weights(straight), weights(rerun), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(optimizer_state(straight), optimizer_state(rerun), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(expected.to_numpy(), resumed.to_numpy())


def test_checkpoint_of_another_configuration_is_ignored(matrix, tmp_path):
    checkpoint = tmp_path / "state.npz"
    model = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    training.train(model, matrix, *ROWS, 1, 16, 1, checkpoint, "batch 16")
    fresh = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    assert training.load_checkpoint(checkpoint, fresh, "batch 32") is None
    assert len(training.load_checkpoint(checkpoint, fresh, "batch 16")) == 1


def test_failed_checkpoint_write_keeps_the_previous_one(matrix, tmp_path, monkeypatch):
    checkpoint = tmp_path / "checkpoint" / "state.npz"
    model = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    training.train(model, matrix, *ROWS, 1, 16, 1, checkpoint, "s")
    saved = checkpoint.read_bytes()

    def disk_full(handle, **arrays):
        handle.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        training.train(model, matrix, *ROWS, 2, 16, 1, checkpoint, "s")
    assert checkpoint.read_bytes() == saved
    assert list(checkpoint.parent.iterdir()) == [checkpoint]
    fresh = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    assert len(training.load_checkpoint(checkpoint, fresh, "s")) == 1


def test_float32_copy_keeps_the_weights(matrix):
    model = build_autoencoder(
        matrix.shape[1], parse_model_id("deep4"), seed=1, dtype="mixed_bfloat16"
    )
    training.train(model, matrix, *ROWS, 1, 16, 1)
    copy = float32_copy(model)
    assert all(layer.dtype_policy.name == "float32" for layer in copy.layers)
    for a, b in zip(model.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_backend_not_installed_is_one_line_error(monkeypatch):
    training.check_backend("tensorflow")
    monkeypatch.setattr(training.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="training.backend.*'jax' is not installed.*Fix") as error:
        training.check_backend("jax")
    assert "\n" not in str(error.value)


def xor_compendium(xor: bool) -> np.ndarray:
    """2,000 samples of 4 binary programs, 5 genes per program and, with ``xor``, per pair of programs."""
    rng = np.random.default_rng(0)
    activity = binary_programs(rng, 2000, 4)
    return xor_expression(rng, activity, all_pairs(4) if xor else [], genes_per=5, noise=0.05)


def test_deep_decoder_captures_xor_relations_a_shallow_one_cannot():
    """At the same code width (4 nodes for 4 binary programs), the deep funnel (8, 4, 8) decodes genes
    that follow the XOR of two programs; the shallow model's sigmoid output layer, linear in its code,
    cannot. Without XOR genes both reconstruct equally well (negative control)."""
    from deepmodules.model.reconstruction import r2_global

    def test_r2(model_id: str, values: np.ndarray) -> float:
        model = build_autoencoder(
            values.shape[1], parse_model_id(model_id), {"learning_rate": 0.01, "decay": 0}, seed=1
        )
        train_rows, test_rows = np.arange(1600), np.arange(1600, len(values))
        training.train(model, values, train_rows, test_rows, epochs=150, batch_size=64, seed=1)
        return r2_global(values[test_rows], model.predict(values[test_rows], verbose=0))

    with_xor = xor_compendium(xor=True)
    shallow, deep = test_r2("shallow4", with_xor), test_r2("deep4-funnel", with_xor)
    assert deep > 0.9 and deep > shallow + 0.15, (shallow, deep)
    without = xor_compendium(xor=False)
    shallow, deep = test_r2("shallow4", without), test_r2("deep4-funnel", without)
    assert min(shallow, deep) > 0.95 and abs(deep - shallow) < 0.02, (shallow, deep)
