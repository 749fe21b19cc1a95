"""Resumable, deterministic training of an autoencoder on a memory-mapped compendium.

The order of the training samples in epoch e is a permutation drawn from
``numpy.random.default_rng((seed, e))``: it depends on the seed and the epoch only, not on what ran
before. Epochs run in chunks, many optimizer steps per compiled call where the matrices fit in memory
(:mod:`deepmodules.model.epochs`); with the model's and the optimizer's variables saved after a chunk, a
job that is killed and rerun resumes from its last saved epoch and ends with the same weights as a run
that was never interrupted.

Training stops when it has learnt (:class:`Stopping`): early stopping on the held-out (test) loss with a
patience and a minimum relative improvement, within an epoch cap that a floor in optimizer steps raises
for small compendia; the weights of the epoch with the lowest test loss are the ones kept.

This module imports no deep-learning backend: :func:`check_backend` runs before Keras is loaded.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.errors import InputError
from deepmodules.model import epochs, network

log = logging.getLogger(__name__)

BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
HISTORY_COLUMNS = ["epoch", "steps", "train_loss", "test_loss"]
REPORT_SECONDS = 10.0  # seconds between progress lines in a training job's log
MAX_CHUNK = 10_000  # epochs per compiled call at most


def check_backend(backend: str) -> None:
    """Stop with a one-line error when the Keras backend ``backend`` is not installed."""
    module = BACKEND_MODULES.get(backend)
    if module is None or importlib.util.find_spec(module) is None:
        raise InputError(
            "config: training.backend",
            f"the Keras backend {backend!r} is not installed in this environment",
            "set training.backend to tensorflow (the tested backend) or install the backend",
        )


def epoch_order(rows: np.ndarray, seed: int, epoch: int) -> np.ndarray:
    """The training rows in the order of epoch ``epoch``: a permutation seeded by (seed, epoch)."""
    return rows[np.random.default_rng((seed, epoch)).permutation(len(rows))]


@dataclass(frozen=True)
class Stopping:
    """When training stops: early stopping on the test loss, an epoch cap and a floor in optimizer steps.

    With S = ceil(n_train / batch_size) steps per epoch, training runs at most
    E = max(epochs, ceil(min_steps / S)) epochs. Epoch e improves on the best test loss L* when
    L_e < (1 - min_improvement) L*; training stops once the last improvement is both ``patience``
    epochs and ``patience_steps`` optimizer steps ago (``patience`` 0: no early stopping, the paper's
    fixed number of epochs). The patience in steps is what carries a small compendium, whose epochs are
    a step each, over the loss plateau of its first hundreds of steps; the floor only makes room for
    the steps. A long run must also have slowed down over its last ``patience_fraction`` of epochs
    (:meth:`slowed`): a plateau of a few thousand steps does not end a run still descending, nor is
    a slowed one kept going for a last 0.1 %. A rising test loss is no plateau: with
    ``overfit_margin`` m > 0, training also stops at an epoch e that is a multiple of ``patience``
    once the last improvement is ``patience`` epochs ago and every test loss of the last ``patience``
    epochs exceeds (1 + m) L_min, the lowest so far (the model overfits). Whatever stops training,
    the weights kept are those of the lowest test loss.
    """

    epochs: int
    patience: int = 0
    min_improvement: float = 0.0
    min_steps: int = 0
    patience_steps: int = 0
    overfit_margin: float = 0.0
    patience_fraction: float = 0.0

    def epoch_cap(self, steps_per_epoch: int) -> int:
        """E = max(epochs, ceil(min_steps / steps_per_epoch))."""
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))

    def improves(self, loss: float, best: float) -> bool:
        """Whether test loss ``loss`` improves on ``best`` by at least the minimum relative improvement."""
        return loss < (1.0 - self.min_improvement) * best

    def earliest_stop(
        self, kept: int, improved: int, steps_per_epoch: int, cap: int, lowest: list[float]
    ) -> int:
        """The first epoch at which training may stop if the test loss does not fall below that of
        epoch ``kept`` (the lowest) nor improve after epoch ``improved`` (``lowest``: the lowest test
        loss after each epoch so far): an improvement can only postpone the stop, so the epochs
        before it can run without a look at their losses."""
        if not self.patience:
            return cap
        stop = improved + max(self.patience, math.ceil(self.patience_steps / steps_per_epoch))
        while stop < cap and not self.slowed(stop, steps_per_epoch, lowest):
            stop += 1  # without a new lowest the window only gets easier to pass: this ends
        if self.overfit_margin:
            window_after_kept = kept + self.patience
            stop = min(stop, -(-window_after_kept // self.patience) * self.patience)
        return min(cap, stop)

    def slowed(self, epoch: int, steps_per_epoch: int, lowest: list[float]) -> bool:
        """Whether the lowest test loss fell by less than ``min_improvement`` per P = max(patience ×
        S, patience_steps) steps on average over the last W = ceil(``patience_fraction`` × ``epoch``)
        epochs: lowest now >= (1 - min_improvement W S / P) × lowest before them (true where W S <= P;
        at 30,000 samples the fixed wait alone stopped at a test loss 16 % above the one reached by
        200,000 steps, docs/method.md). Epochs after those in ``lowest`` bring no new lowest."""
        window = math.ceil(self.patience_fraction * epoch - 1e-9)
        reference = max(self.patience * steps_per_epoch, self.patience_steps)
        if window * steps_per_epoch <= reference:
            return True
        before, now = epoch - window, min(epoch, len(lowest))
        if before < 1:
            return False
        if before >= now:
            return True
        allowed = self.min_improvement * window * steps_per_epoch / reference
        return lowest[now - 1] >= (1.0 - allowed) * lowest[before - 1]

    def reason(
        self, epoch: int, improved: int, steps: int, cap: int, losses: list, lowest: list
    ) -> str | None:
        """Why training stops after ``epoch`` (``steps`` so far, last improvement at ``improved``,
        test ``losses`` of every epoch and the ``lowest`` after each), or None to go on. Where the
        test loss stops training at the cap, that is the reason given: the model converged."""
        waited = epoch - improved
        best = lowest[-1] if len(lowest) else np.inf
        if (
            self.patience
            and waited >= self.patience
            and waited * steps >= self.patience_steps * epoch
            and self.slowed(epoch, steps // max(epoch, 1), lowest)
        ):
            return (
                f"early_stopping at epoch {epoch}: no improvement of the test loss by "
                f"{self.min_improvement:g} (relative) for {waited} epochs "
                f"({waited * steps // epoch} optimizer steps)"
            )
        if (
            self.overfit_margin
            and self.patience
            and waited >= self.patience
            and epoch % self.patience == 0
            and min(losses[-self.patience :]) > (1 + self.overfit_margin) * best
        ):
            return (
                f"overfitting at epoch {epoch}: the test loss of each of the last {self.patience} "
                f"epochs is more than {self.overfit_margin:g} (relative) above its lowest"
            )
        if epoch >= cap:
            if cap > self.epochs:
                return (
                    f"step floor: {cap} epochs = {steps} optimizer steps "
                    f"(training.min_steps {self.min_steps})"
                )
            return f"epoch cap: {cap} epochs"
        return None


# The training settings that make a Stopping rule (config keys of the same names).
STOPPING_SETTINGS = tuple(field.name for field in fields(Stopping))


@dataclass
class TrainingRun:
    """What :func:`train` did: the per-epoch ``history``, why it ``stopped``, the ``best_epoch`` kept."""

    history: pd.DataFrame
    stopped: str
    best_epoch: int
    epoch_cap: int

    @property
    def converged(self) -> bool:
        """Whether the test loss stopped training (early stopping or overfitting), not the epoch cap
        or the step floor: where both fall on the cap, the test loss is the reason given."""
        return not self.stopped.startswith(("epoch cap", "step floor"))


def save_checkpoint(
    path: Path, model, history: list[list[float]], fingerprint: str, best: list[np.ndarray]
) -> None:
    """Write the model's and optimizer's variables, the best weights and the history to ``path``.

    The arrays are written to ``<path>.tmp``, flushed to disk and renamed over ``path``: a job killed or
    a disk filling up during the write leaves the previous checkpoint as it was.
    """
    arrays = {f"model/{i}": np.asarray(v) for i, v in enumerate(model.variables)}
    arrays |= {f"optimizer/{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)}
    arrays |= {f"best/{i}": v for i, v in enumerate(best)}
    arrays["history"] = np.array(history, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))
    arrays["fingerprint"] = np.array(fingerprint)
    network.write_npz(path, arrays)


def load_checkpoint(
    path: Path, model, fingerprint: str
) -> tuple[list[list[float]], list[np.ndarray]] | None:
    """Restore the variables saved by :func:`save_checkpoint` into ``model``.

    Returns the history rows and the best weights, or None, leaving ``model`` as it is, when there is no
    checkpoint or it belongs to another configuration (a different ``fingerprint``).
    """
    if not path.exists():
        return None
    with np.load(path) as saved:
        if str(saved["fingerprint"]) != fingerprint:
            log.warning("ignoring checkpoint %s: it was written with another configuration", path)
            return None
        model.optimizer.build(model.trainable_variables)
        for prefix, variables in (
            ("model", model.variables),
            ("optimizer", model.optimizer.variables),
        ):
            for i, variable in enumerate(variables):
                variable.assign(saved[f"{prefix}/{i}"])
        best = [saved[f"best/{i}"] for i in range(len(model.variables))]
        return saved["history"].tolist(), best


def fingerprint(**settings) -> str:
    """A canonical text of everything that must match for a checkpoint to be resumed."""
    return json.dumps(settings, sort_keys=True, default=str)


def progress(test_losses: list[float], stopping: Stopping) -> tuple[int, int]:
    """(kept, improved): the epoch of the lowest test loss, whose weights are kept, and the last epoch
    that improved on the loss of the previous improvement by the minimum relative improvement (0, 0
    before the first epoch)."""
    kept = improved = 0
    for epoch, loss in enumerate(test_losses, start=1):
        kept, improved = advance(test_losses, epoch, loss, kept, improved, stopping)
    return kept, improved


def advance(
    test_losses: list[float], epoch: int, loss: float, kept: int, improved: int, stopping: Stopping
) -> tuple[int, int]:
    """:func:`progress` after epoch ``epoch`` with test loss ``loss`` (``test_losses[epoch - 1]``)."""
    if not kept or loss < test_losses[kept - 1]:
        kept = epoch
    if not improved or stopping.improves(loss, test_losses[improved - 1]):
        improved = epoch
    return kept, improved


def epoch_runner(model, values, train_rows, test_rows, batch_size):
    """The fastest runner of epochs for this backend and size (:mod:`deepmodules.model.epochs`)."""
    from deepmodules.model.backend import keras

    if keras.backend.backend() == "tensorflow" and epochs.ResidentEpochs.fits(
        values, train_rows, test_rows
    ):
        return epochs.ResidentEpochs(model, values, train_rows, test_rows, batch_size)
    return epochs.BatchEpochs(model, values, train_rows, test_rows, batch_size)


def train(
    model,
    values: np.ndarray,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    stopping: Stopping | int,
    batch_size: int,
    seed: int,
    checkpoint: Path | None = None,
    settings: str = "",
    checkpoint_seconds: float = 0.0,
    report_seconds: float | None = None,
) -> TrainingRun:
    """Train ``model`` to reconstruct ``values[train_rows]`` until ``stopping`` says so, resuming if possible.

    ``stopping`` is a :class:`Stopping` or a number of epochs (run them all). After each epoch the test
    loss (MSE on ``values[test_rows]``) is computed. Epochs run in chunks (:func:`epoch_runner`), each
    at most as long as the epochs to the earliest possible stop and sized to last about
    ``report_seconds`` (default :data:`REPORT_SECONDS`). After a chunk a progress line is logged and,
    when ``checkpoint`` is given, the state is saved there once ``checkpoint_seconds`` have passed
    since the last save, and at the end.
    On return ``model`` holds the weights of the epoch with the lowest test loss.
    """
    if isinstance(stopping, int):
        stopping = Stopping(epochs=stopping)
    if report_seconds is None:
        report_seconds = REPORT_SECONDS
    steps_per_epoch = math.ceil(len(train_rows) / batch_size)
    cap = stopping.epoch_cap(steps_per_epoch)
    runner = epoch_runner(model, values, train_rows, test_rows, batch_size)
    history: list[list[float]] = []
    if checkpoint is not None:
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        resumed = load_checkpoint(checkpoint, model, settings)
        if resumed is not None:
            history, best = resumed
            runner.set_best(best, min(row[3] for row in history))
            log.info("resuming from %s after epoch %d", checkpoint, len(history))
    test_losses = [row[3] for row in history]
    lowest = np.minimum.accumulate(test_losses).tolist() if test_losses else []
    kept, improved = progress(test_losses, stopping)
    stopped = stopping.reason(
        len(history), improved, len(history) * steps_per_epoch, cap, test_losses, lowest
    )
    saved = reported = time.monotonic()
    started, started_epoch = time.perf_counter(), len(history)
    chunk = 1
    while stopped is None:
        done = len(history)
        earliest = stopping.earliest_stop(kept, improved, steps_per_epoch, cap, lowest)
        n = max(1, min(chunk, earliest - done))
        orders = np.stack([epoch_order(train_rows, seed, e) for e in range(done, done + n)])
        begin = time.perf_counter()
        train_loss, test_loss = runner.run(orders)
        seconds = time.perf_counter() - begin
        # the next chunk lasts about report_seconds (one epoch at least, at most 10,000)
        chunk = int(np.clip(n * report_seconds / max(seconds, 1e-6), 1, MAX_CHUNK))
        for i in range(n):
            epoch = done + i + 1
            history.append([epoch, epoch * steps_per_epoch, train_loss[i], test_loss[i]])
            test_losses.append(float(test_loss[i]))
            lowest.append(min(lowest[-1], test_losses[-1]) if lowest else test_losses[-1])
            kept, improved = advance(test_losses, epoch, test_loss[i], kept, improved, stopping)
            stopped = stopping.reason(
                epoch, improved, epoch * steps_per_epoch, cap, test_losses, lowest
            )
        assert stopped is None or len(history) == done + n  # a chunk never runs past a stop
        if checkpoint is not None and (
            stopped is not None or time.monotonic() - saved >= checkpoint_seconds
        ):
            save_checkpoint(checkpoint, model, history, settings, runner.best_weights())
            saved = time.monotonic()
        if stopped is None and time.monotonic() - reported >= report_seconds:
            report(history, kept, cap, steps_per_epoch, len(train_rows), started, started_epoch)
            reported = time.monotonic()
    for variable, value in zip(model.variables, runner.best_weights(), strict=True):
        variable.assign(value)
    report(history, kept, cap, steps_per_epoch, len(train_rows), started, started_epoch)
    log.info("stopped: %s; kept the weights of epoch %d (lowest test loss)", stopped, kept)
    table = pd.DataFrame(history, columns=HISTORY_COLUMNS).astype({"epoch": int, "steps": int})
    table["best"] = table["epoch"] == kept
    run = TrainingRun(table, stopped, kept, cap)
    if not run.converged and stopping.patience:
        log.warning(
            "training ended at its cap (%d epochs), not by early stopping (lowest test loss at epoch "
            "%d): the model may be undertrained; raise training.epochs or training.min_steps",
            cap,
            kept,
        )
    return run


def report(history, kept, cap, steps_per_epoch, n_train, started, started_epoch) -> None:
    """One progress line in the job's log: epoch, losses, the epoch kept, speed and the time left to
    the epoch cap (an upper bound: early stopping usually ends training before it)."""
    epoch, _, train_loss, test_loss = history[-1]
    seconds = time.perf_counter() - started
    rate = (len(history) - started_epoch) / max(seconds, 1e-9)  # epochs per second
    log.info(
        "epoch %d of at most %d: train loss %.5f, test loss %.5f, best epoch %d; %.0f steps/s, "
        "%.0f samples/s; at most %s left",
        epoch,
        cap,
        train_loss,
        test_loss,
        kept,
        rate * steps_per_epoch,
        rate * n_train,
        duration((cap - epoch) / max(rate, 1e-9)),
        extra={"console": False},
    )


def duration(seconds: float) -> str:
    """A time span as a person reads it: 42 s, 7 min, 3.2 h."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def summary(run: TrainingRun) -> dict:
    """One row describing a finished training run: epochs, cap, steps, the epoch kept, why it stopped
    and whether the test loss stopped it (``converged``; false where a cap ended it)."""
    history = run.history
    kept = history.loc[history["epoch"] == run.best_epoch].iloc[0]
    return {
        "epochs": len(history),
        "epoch_cap": run.epoch_cap,
        "steps": int(history["steps"].iloc[-1]),
        "best_epoch": run.best_epoch,
        "best_test_loss": float(kept["test_loss"]),
        "stopped": run.stopped,
        "converged": run.converged,
    }
