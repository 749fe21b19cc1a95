import math

import numpy as np
import pandas as pd
import pytest

from deepmodules.errors import InputError
from deepmodules.model import epochs, training
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
    history = training.train(model, matrix, *ROWS, 2, batch_size=16, seed=1).history
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


def die_after(monkeypatch, model, steps):
    """Make training raise :class:`Killed` after the first chunk of epochs that reaches ``steps``
    optimizer steps, before that chunk is checkpointed: its epochs are lost, as in a killed job.
    Chunks are short (``report_seconds`` tiny) so that earlier ones are checkpointed."""
    make = training.epoch_runner

    def dying_runner(*args):
        runner = make(*args)
        run = runner.run

        def run_then_die(orders):
            result = run(orders)
            if int(model.optimizer.iterations) >= steps:
                raise Killed
            return result

        runner.run = run_then_die
        return runner

    monkeypatch.setattr(training, "epoch_runner", dying_runner)
    monkeypatch.setattr(training, "REPORT_SECONDS", 1e-6)


@pytest.mark.parametrize("model_id", ["deep4", "deep4-denoising"])
@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_resume_after_kill_equals_uninterrupted_run(matrix, tmp_path, monkeypatch, model_id, dtype):
    spec = parse_model_id(model_id)
    settings = training.fingerprint(model=model_id)
    straight = build_autoencoder(matrix.shape[1], spec, seed=2, dtype=dtype)
    expected = training.train(straight, matrix, *ROWS, 4, batch_size=16, seed=2).history

    # A run killed after its third epoch, before the epochs since the last checkpoint are saved.
    checkpoint = tmp_path / "checkpoint" / "state.npz"
    killed = build_autoencoder(matrix.shape[1], spec, seed=2, dtype=dtype)
    with monkeypatch.context() as patch:
        die_after(patch, killed, 3 * 5)
        with pytest.raises(Killed):
            training.train(killed, matrix, *ROWS, 4, 16, 2, checkpoint, settings)
    assert 1 <= len(training.load_checkpoint(checkpoint, killed, settings)[0]) < 3

    rerun = build_autoencoder(matrix.shape[1], spec, seed=2, dtype=dtype)
    resumed = training.train(rerun, matrix, *ROWS, 4, 16, 2, checkpoint, settings).history
    for a, b in zip(weights(straight), weights(rerun), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(optimizer_state(straight), optimizer_state(rerun), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(expected.to_numpy(), resumed.to_numpy())


def fast_model(matrix, seed=1):
    return build_autoencoder(
        matrix.shape[1], parse_model_id("deep4"), {"learning_rate": 0.01, "decay": 0}, seed=seed
    )


def held_out_loss(model, matrix):
    return epochs.mean_loss(model.test_on_batch, epochs.batches(matrix, ROWS[1], 16))


def test_early_stopping_stops_before_the_cap_and_keeps_the_best_weights(matrix):
    model = fast_model(matrix)
    stopping = training.Stopping(
        epochs=400, patience=5, min_improvement=0.01, min_steps=150, patience_steps=150
    )
    run = training.train(model, matrix, *ROWS, stopping, batch_size=16, seed=1)
    history = run.history
    assert run.stopped.startswith(f"early_stopping at epoch {len(history)}"), run.stopped
    assert run.converged and training.summary(run)["converged"]
    assert len(history) < 400
    best = history.loc[history["test_loss"].idxmin()]
    assert (
        run.best_epoch == best["epoch"]
        and history.loc[history["best"], "epoch"].item() == best["epoch"]
    )
    # the model holds the best epoch's weights, not the last epoch's
    assert run.best_epoch < len(history)
    np.testing.assert_allclose(held_out_loss(model, matrix), best["test_loss"], rtol=1e-5)
    assert history["steps"].tolist() == [5 * e for e in history["epoch"]]


def test_without_patience_the_epoch_cap_is_reached(matrix):
    stopping = training.Stopping(epochs=6, patience=0, min_improvement=0.5)
    run = training.train(fast_model(matrix), matrix, *ROWS, stopping, batch_size=16, seed=1)
    assert len(run.history) == 6 and run.stopped == "epoch cap: 6 epochs"


def test_a_tiny_compendium_waits_patience_steps_within_the_step_floor(matrix, caplog):
    """8 training samples in batches of 16: one step per epoch, so 3 epochs would give 3 steps. The floor
    of 20 steps raises the cap to 20 epochs; early stopping, which would stop after 1 epoch without a 50%
    improvement, waits for 30 steps of patience and so runs to the floor, or for 5 and stops long before
    it (the stall of a small compendium does not cost the whole floor)."""
    tiny = np.arange(8), np.arange(72, 96)
    floor = {"epochs": 3, "patience": 1, "min_improvement": 0.5, "min_steps": 20}
    stopping = training.Stopping(**floor, patience_steps=30)
    run = training.train(fast_model(matrix), matrix, *tiny, stopping, batch_size=16, seed=1)
    assert run.epoch_cap == 20 and len(run.history) == 20
    assert run.history["steps"].iloc[-1] == 20
    assert run.stopped.startswith("step floor: 20 epochs = 20 optimizer steps"), run.stopped
    assert not run.converged and not training.summary(run)["converged"]
    assert "training ended at its cap (20 epochs)" in caplog.text
    stopping = training.Stopping(**floor, patience_steps=5)
    run = training.train(fast_model(matrix), matrix, *tiny, stopping, batch_size=16, seed=1)
    assert run.epoch_cap == 20 and len(run.history) < 20
    improved = run.history["epoch"].iloc[-1] - 5
    assert run.stopped.startswith(f"early_stopping at epoch {improved + 5}"), run.stopped
    assert run.stopped.endswith("(5 optimizer steps)"), run.stopped
    # negative control: without patience steps, early stopping ends it after the patience in epochs
    stopping = training.Stopping(epochs=3, patience=1, min_improvement=0.5)
    run = training.train(fast_model(matrix), matrix, *tiny, stopping, batch_size=16, seed=1)
    assert len(run.history) == 2 and run.stopped.startswith("early_stopping at epoch 2")


def test_resume_with_early_stopping_equals_uninterrupted_run(matrix, tmp_path, monkeypatch):
    stopping = training.Stopping(
        epochs=400, patience=5, min_improvement=0.01, min_steps=150, patience_steps=150
    )
    straight = fast_model(matrix, seed=3)
    expected = training.train(straight, matrix, *ROWS, stopping, 16, 3)
    assert expected.stopped.startswith("early_stopping") and len(expected.history) > 31

    checkpoint = tmp_path / "checkpoint" / "state.npz"
    killed = fast_model(matrix, seed=3)
    with monkeypatch.context() as patch:
        die_after(patch, killed, 5 * (len(expected.history) - 2))
        with pytest.raises(Killed):
            training.train(killed, matrix, *ROWS, stopping, 16, 3, checkpoint, "s")

    rerun = fast_model(matrix, seed=3)
    resumed = training.train(rerun, matrix, *ROWS, stopping, 16, 3, checkpoint, "s")
    for a, b in zip(weights(straight), weights(rerun), strict=True):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(expected.history, resumed.history)
    assert (resumed.stopped, resumed.best_epoch) == (expected.stopped, expected.best_epoch)


def test_checkpoint_of_another_configuration_is_ignored(matrix, tmp_path):
    checkpoint = tmp_path / "state.npz"
    model = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    training.train(model, matrix, *ROWS, 1, 16, 1, checkpoint, "batch 16")
    fresh = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    assert training.load_checkpoint(checkpoint, fresh, "batch 32") is None
    assert len(training.load_checkpoint(checkpoint, fresh, "batch 16")[0]) == 1


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
    assert len(training.load_checkpoint(checkpoint, fresh, "s")[0]) == 1


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
        training.train(model, values, train_rows, test_rows, 150, batch_size=64, seed=1)
        return r2_global(values[test_rows], model.predict(values[test_rows], verbose=0))

    with_xor = xor_compendium(xor=True)
    shallow, deep = test_r2("shallow4", with_xor), test_r2("deep4-funnel", with_xor)
    assert deep > 0.9 and deep > shallow + 0.15, (shallow, deep)
    without = xor_compendium(xor=False)
    shallow, deep = test_r2("shallow4", without), test_r2("deep4-funnel", without)
    assert min(shallow, deep) > 0.95 and abs(deep - shallow) < 0.02, (shallow, deep)


def test_centered_biases_start_every_sigmoid_at_its_steepest_point(matrix):
    """With b_l = -mean(h_{l-1} W_l) every hidden pre-activation has mean 0 over the samples; the
    output starts at logit(gene mean) - mean(h W) + h W. Negative control: default zero biases leave
    the pre-activations off-centre."""
    from deepmodules.model.autoencoder import center_biases, dense_layers

    x = np.asarray(matrix[:72], dtype=np.float64)

    def preactivation_means(model):
        h, means = x, []
        for dense in dense_layers(model):
            z = h @ dense.kernel + dense.bias
            means.append(z.mean(axis=0))
            h = 1 / (1 + np.exp(-z))
        return means

    model = build_autoencoder(matrix.shape[1], parse_model_id("deep4"), seed=1)
    assert max(np.abs(m).max() for m in preactivation_means(model)[:-1]) > 0.05
    center_biases(model, x)
    *hidden, output = preactivation_means(model)
    for means in hidden:
        np.testing.assert_allclose(means, 0, atol=1e-5)
    level = x.mean(axis=0)
    np.testing.assert_allclose(output, np.log(level / (1 - level)), atol=1e-5)


class ScriptedEpochs:
    """An epoch runner whose test losses follow a script, for the stopping rule alone."""

    def __init__(self, losses):
        self.losses, self.done = losses, 0

    def run(self, orders):
        losses = np.asarray(self.losses[self.done : self.done + len(orders)], dtype=np.float64)
        assert len(losses) == len(orders), "training ran past the end of the script"
        self.done += len(orders)
        return losses, losses

    def best_weights(self):
        return []


def scripted_run(monkeypatch, losses, stopping, report_seconds):
    monkeypatch.setattr(training, "epoch_runner", lambda *args: ScriptedEpochs(losses))
    model = type("Weightless", (), {"variables": []})()
    rows = np.arange(16), np.arange(16, 20)
    return training.train(
        model, np.zeros((20, 3)), *rows, stopping, 16, 1, report_seconds=report_seconds
    )


def overfitting_losses(best_at=300, n=3000):
    """A test loss that falls to its lowest at epoch ``best_at``, then rises 30% by the end."""
    epoch = np.arange(1, n + 1)
    falling = 1.0 - 0.5 * epoch / best_at
    rising = 0.5 * (1 + 0.3 * (epoch - best_at) / (n - best_at))
    return np.where(epoch <= best_at, falling, rising).tolist()


def test_a_rising_test_loss_stops_training_before_patience_steps(monkeypatch):
    """One step per epoch: patience_steps 2,000 would run to epoch 2,300. With overfit_margin 0.05 the
    rise is seen at the first multiple of patience (20) at which the last 20 losses all exceed 1.05x
    the lowest; without it (negative control) training waits the 2,000 steps."""
    losses = overfitting_losses()
    rule = {"epochs": 1000, "patience": 20, "min_improvement": 0.001, "min_steps": 8000}
    stopping = training.Stopping(**rule, patience_steps=2000, overfit_margin=0.05)
    run = scripted_run(monkeypatch, losses, stopping, report_seconds=1e-6)
    first_above = next(e for e, x in enumerate(losses, 1) if e > 300 and x > 1.05 * 0.5)
    expected = -(-(first_above + 19) // 20) * 20
    assert len(run.history) == expected and run.best_epoch == 300, run.stopped
    assert run.stopped.startswith(f"overfitting at epoch {expected}"), run.stopped
    waiting = training.Stopping(**rule, patience_steps=2000)
    run = scripted_run(monkeypatch, losses, waiting, report_seconds=1e-6)
    assert len(run.history) == 2300 and run.stopped.startswith("early_stopping at epoch 2300")


def plateau_then_descent(n=30_000):
    """A test loss falling from 1.0 to 0.8 by epoch 8,000, flat until 10,500 (a plateau longer than
    2,000 steps), falling again to 0.7 by epoch 16,000, then flat."""
    epoch = np.arange(1, n + 1)
    first = 1.0 - 0.2 * np.minimum(epoch, 8000) / 8000
    second = 0.1 * np.clip(epoch - 10_500, 0, 5500) / 5500
    return (first - second).tolist()


@pytest.mark.parametrize("report_seconds", [1e-9, 1e9])
def test_a_run_still_descending_over_its_last_quarter_is_carried_over_a_plateau(
    monkeypatch, report_seconds
):
    """One step per epoch. A fixed wait of 2,000 steps ends training on the plateau at 8,000-10,500
    (negative control, loss 0.8); with patience_fraction 0.25 the loss fell faster than 0.1 % per
    2,000 steps over the last quarter of the run, so training goes on to the second descent and stops
    once that quarter holds no such fall (loss 0.7). A slow steady descent (0.05 % per 2,000 steps)
    stops where the fixed wait stops. Long chunks of epochs stop at the same epoch as single ones."""
    losses = plateau_then_descent()
    rule = {"epochs": 1000, "patience": 20, "min_improvement": 0.001, "min_steps": 200_000}
    fixed = training.Stopping(**rule, patience_steps=2000)
    run = scripted_run(monkeypatch, losses, fixed, report_seconds=report_seconds)
    assert 9_950 <= len(run.history) <= 10_001 and run.history["test_loss"].min() > 0.799
    growing = training.Stopping(**rule, patience_steps=2000, patience_fraction=0.25)
    run = scripted_run(monkeypatch, losses, growing, report_seconds=report_seconds)
    assert run.history["test_loss"].min() < 0.7001 and run.converged, run.stopped
    assert 18_000 <= len(run.history) <= math.ceil(16_000 / 0.75) + 1, run.stopped
    slow = (1.0 - 0.0005 / 2000 * np.arange(30_000)).tolist()
    stops = [
        len(scripted_run(monkeypatch, slow, rule, report_seconds=report_seconds).history)
        for rule in (fixed, growing)
    ]
    assert stops[0] == stops[1] < 30_000


def test_a_plateau_reached_at_the_cap_is_reported_as_converged(monkeypatch):
    """The test loss stops improving at epoch 80 and the cap is epoch 100, where patience 20 also
    ends: the reason is the plateau (converged). Still falling at the cap (negative control): the
    cap is the reason and the model is marked unconverged."""
    plateau = [1.0 - 0.005 * min(epoch, 80) for epoch in range(1, 101)]
    stopping = training.Stopping(epochs=100, patience=20, min_improvement=0.001)
    run = scripted_run(monkeypatch, plateau, stopping, report_seconds=1e-6)
    assert run.stopped.startswith("early_stopping at epoch 100") and run.converged
    falling = [1.0 - 0.005 * epoch for epoch in range(1, 101)]
    run = scripted_run(monkeypatch, falling, stopping, report_seconds=1e-6)
    assert run.stopped == "epoch cap: 100 epochs" and not run.converged


@pytest.mark.parametrize("overfit_margin", [0.0, 0.05])
def test_chunks_of_epochs_stop_where_single_epochs_stop(monkeypatch, overfit_margin):
    """Long chunks of epochs (one compiled call each) end at the same epoch, with the same history,
    as one epoch per call: a chunk never runs past the earliest epoch at which training may stop."""
    rng = np.random.default_rng(4)
    losses = (np.array(overfitting_losses(400, 3000)) * rng.uniform(0.97, 1.03, 3000)).tolist()
    stopping = training.Stopping(
        epochs=100, patience=20, min_improvement=0.001, min_steps=3000,
        patience_steps=600, overfit_margin=overfit_margin,
    )  # fmt: skip
    single = scripted_run(monkeypatch, losses, stopping, report_seconds=1e-9)
    chunked = scripted_run(monkeypatch, losses, stopping, report_seconds=1e9)
    pd.testing.assert_frame_equal(single.history, chunked.history)
    assert single.stopped == chunked.stopped and len(single.history) < 3000


def test_small_models_train_on_one_thread_and_resident_matrices_get_more_memory():
    assert epochs.threads(128, 8) == 1 and epochs.threads(512, 8) == 8
    small, large = 1000.0, 20 * 2**10  # MiB: held in memory, read per batch
    assert epochs.memory_mb(small) == 4000 and epochs.memory_mb(large) == int(2.5 * large)
    assert epochs.memory_mb(10.0) == 3000
