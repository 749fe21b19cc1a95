"""Resumable, deterministic training of an autoencoder on a memory-mapped compendium.

Batches are gathered from the samples × genes matrix on disk (``compendium.load`` memory-maps it), so
training holds no copy of the matrix beyond the pages the operating system caches. The order of the
training samples in epoch e is a permutation drawn from ``numpy.random.default_rng((seed, e))``: it
depends on the seed and the epoch only, not on what ran before. With the model's and the optimizer's
variables saved at the end of an epoch, a job that is killed and rerun resumes from its last saved epoch
and ends with the same weights as a run that was never interrupted.

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
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.errors import InputError

log = logging.getLogger(__name__)

BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
HISTORY_COLUMNS = ["epoch", "steps", "train_loss", "test_loss"]
CONSOLE_EVERY = 50  # epochs between progress lines on the console (every epoch is in the job log)


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


def batches(values: np.ndarray, rows: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Consecutive batches of ``rows`` gathered from ``values`` (rows read in file order per batch)."""
    for start in range(0, len(rows), batch_size):
        yield np.asarray(values[np.sort(rows[start : start + batch_size])], dtype=np.float32)


def mean_loss(step, xs: Iterator[np.ndarray]) -> float:
    """Sample-weighted mean of ``step(x, x)`` (the batch's reconstruction loss) over batches ``xs``."""
    total = count = 0.0
    for x in xs:
        total += float(step(x, x)) * len(x)
        count += len(x)
    return total / count


@dataclass(frozen=True)
class Stopping:
    """When training stops: early stopping on the test loss, an epoch cap and a floor in optimizer steps.

    With S = ceil(n_train / batch_size) steps per epoch, training runs at most
    E = max(epochs, ceil(min_steps / S)) epochs. Epoch e improves on the best test loss L* when
    L_e < (1 - min_improvement) L*; training stops once the last improvement is both ``patience``
    epochs and ``patience_steps`` optimizer steps ago (``patience`` 0: no early stopping, the paper's
    fixed number of epochs). The patience in steps is what carries a small compendium, whose epochs are
    a step each, over the loss plateau of its first hundreds of steps; the floor only makes room for
    the steps. Whatever stops training, the weights kept are those of the lowest test loss.
    """

    epochs: int
    patience: int = 0
    min_improvement: float = 0.0
    min_steps: int = 0
    patience_steps: int = 0

    def epoch_cap(self, steps_per_epoch: int) -> int:
        """E = max(epochs, ceil(min_steps / steps_per_epoch))."""
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))

    def improves(self, loss: float, best: float) -> bool:
        """Whether test loss ``loss`` improves on ``best`` by at least the minimum relative improvement."""
        return loss < (1.0 - self.min_improvement) * best

    def reason(self, epoch: int, improved: int, steps: int, cap: int) -> str | None:
        """Why training stops after ``epoch`` (``steps`` steps so far, last improvement at epoch
        ``improved``), or None to go on."""
        if epoch >= cap:
            if cap > self.epochs:
                return (
                    f"step floor: {cap} epochs = {steps} optimizer steps "
                    f"(training.min_steps {self.min_steps})"
                )
            return f"epoch cap: {cap} epochs"
        waited = epoch - improved
        if (
            self.patience
            and waited >= self.patience
            and waited * steps >= self.patience_steps * epoch
        ):
            return (
                f"early_stopping at epoch {epoch}: no improvement of the test loss by "
                f"{self.min_improvement:g} (relative) for {waited} epochs "
                f"({waited * steps // epoch} optimizer steps)"
            )
        return None


@dataclass
class TrainingRun:
    """What :func:`train` did: the per-epoch ``history``, why it ``stopped``, the ``best_epoch`` kept."""

    history: pd.DataFrame
    stopped: str
    best_epoch: int
    epoch_cap: int


def variable_arrays(variables) -> list[np.ndarray]:
    """Numpy copies of Keras variables."""
    return [np.asarray(v).copy() for v in variables]


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
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


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
) -> TrainingRun:
    """Train ``model`` to reconstruct ``values[train_rows]`` until ``stopping`` says so, resuming if possible.

    ``stopping`` is a :class:`Stopping` or a number of epochs (run them all). After each epoch the test
    loss (MSE on ``values[test_rows]``) is computed; when ``checkpoint`` is given the state is saved there
    at the end of an epoch once ``checkpoint_seconds`` have passed since the last save, and at the end.
    On return ``model`` holds the weights of the epoch with the lowest test loss.
    """
    if isinstance(stopping, int):
        stopping = Stopping(epochs=stopping)
    steps_per_epoch = math.ceil(len(train_rows) / batch_size)
    cap = stopping.epoch_cap(steps_per_epoch)
    history: list[list[float]] = []
    best = variable_arrays(model.variables)
    if checkpoint is not None:
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        resumed = load_checkpoint(checkpoint, model, settings)
        if resumed is not None:
            history, best = resumed
            log.info("resuming from %s after epoch %d", checkpoint, len(history))
    test_losses = [row[3] for row in history]
    kept, improved = progress(test_losses, stopping)
    stopped = stopping.reason(len(history), improved, len(history) * steps_per_epoch, cap)
    saved = time.monotonic()
    while stopped is None:
        start = time.perf_counter()
        epoch = len(history)
        order = epoch_order(train_rows, seed, epoch)
        train_loss = mean_loss(model.train_on_batch, batches(values, order, batch_size))
        test_loss = mean_loss(model.test_on_batch, batches(values, test_rows, batch_size))
        history.append([epoch + 1, (epoch + 1) * steps_per_epoch, train_loss, test_loss])
        test_losses.append(test_loss)
        previous = kept
        kept, improved = advance(test_losses, epoch + 1, test_loss, kept, improved, stopping)
        if kept != previous:
            best = variable_arrays(model.variables)
        stopped = stopping.reason(epoch + 1, improved, (epoch + 1) * steps_per_epoch, cap)
        if checkpoint is not None and (
            stopped is not None or time.monotonic() - saved >= checkpoint_seconds
        ):
            save_checkpoint(checkpoint, model, history, settings, best)
            saved = time.monotonic()
        seconds = time.perf_counter() - start
        log.info(
            "epoch %d (cap %d): train loss %.5f, test loss %.5f, %.2f s (%.0f training samples/s)",
            epoch + 1,
            cap,
            train_loss,
            test_loss,
            seconds,
            len(train_rows) / seconds,
            # Every epoch goes to the job's log; the console gets one line in CONSOLE_EVERY.
            extra={"console": (epoch + 1) % CONSOLE_EVERY == 0},
        )
    for variable, value in zip(model.variables, best, strict=True):
        variable.assign(value)
    log.info("stopped: %s; kept the weights of epoch %d (lowest test loss)", stopped, kept)
    table = pd.DataFrame(history, columns=HISTORY_COLUMNS).astype({"epoch": int, "steps": int})
    table["best"] = table["epoch"] == kept
    return TrainingRun(table, stopped, kept, cap)


def summary(run: TrainingRun) -> dict:
    """One row describing a finished training run: epochs, cap, steps, the epoch kept and why it stopped."""
    history = run.history
    kept = history.loc[history["epoch"] == run.best_epoch].iloc[0]
    return {
        "epochs": len(history),
        "epoch_cap": run.epoch_cap,
        "steps": int(history["steps"].iloc[-1]),
        "best_epoch": run.best_epoch,
        "best_test_loss": float(kept["test_loss"]),
        "stopped": run.stopped,
    }
