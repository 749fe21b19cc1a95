"""Resumable, deterministic training of an autoencoder on a memory-mapped compendium.

Batches are gathered from the samples × genes matrix on disk (``compendium.load`` memory-maps it), so
training holds no copy of the matrix beyond the pages the operating system caches. The order of the
training samples in epoch e is a permutation drawn from ``numpy.random.default_rng((seed, e))``: it
depends on the seed and the epoch only, not on what ran before. With the model's and the optimizer's
variables saved after every epoch, a job that is killed and rerun resumes from its last completed epoch
and ends with the same weights as a run that was never interrupted.

This module imports no deep-learning backend: :func:`check_backend` runs before Keras is loaded.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.errors import InputError

log = logging.getLogger(__name__)

BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
HISTORY_COLUMNS = ["epoch", "train_loss", "test_loss"]


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


def save_checkpoint(path: Path, model, history: list[list[float]], fingerprint: str) -> None:
    """Write the model's and optimizer's variables and the history to ``path``, atomically.

    The arrays are written to ``<path>.tmp``, flushed to disk and renamed over ``path``: a job killed or
    a disk filling up during the write leaves the previous checkpoint as it was.
    """
    arrays = {f"model/{i}": np.asarray(v) for i, v in enumerate(model.variables)}
    arrays |= {f"optimizer/{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)}
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


def load_checkpoint(path: Path, model, fingerprint: str) -> list[list[float]] | None:
    """Restore the variables saved by :func:`save_checkpoint` into ``model``; returns the history rows.

    Returns None, leaving ``model`` as it is, when there is no checkpoint or it belongs to another
    configuration (a different ``fingerprint``).
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
        return saved["history"].tolist()


def fingerprint(**settings) -> str:
    """A canonical text of everything that must match for a checkpoint to be resumed."""
    return json.dumps(settings, sort_keys=True, default=str)


def train(
    model,
    values: np.ndarray,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    epochs: int,
    batch_size: int,
    seed: int,
    checkpoint: Path | None = None,
    settings: str = "",
) -> pd.DataFrame:
    """Train ``model`` to reconstruct ``values[train_rows]`` for ``epochs`` epochs, resuming if possible.

    After each epoch the test loss (MSE on ``values[test_rows]``) is computed and, when ``checkpoint``
    is given, the state is saved there. Returns the per-epoch losses (epoch, train_loss, test_loss).
    """
    history: list[list[float]] = []
    if checkpoint is not None:
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        resumed = load_checkpoint(checkpoint, model, settings)
        if resumed is not None:
            history = resumed
            log.info("resuming from %s after epoch %d", checkpoint, len(history))
    for epoch in range(len(history), epochs):
        start = time.perf_counter()
        order = epoch_order(train_rows, seed, epoch)
        train_loss = mean_loss(model.train_on_batch, batches(values, order, batch_size))
        test_loss = mean_loss(model.test_on_batch, batches(values, test_rows, batch_size))
        row = [epoch + 1, train_loss, test_loss]
        history.append(row)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, history, settings)
        seconds = time.perf_counter() - start
        log.info(
            "epoch %d/%d: train loss %.5f, test loss %.5f, %.1f s (%.0f training samples/s)",
            epoch + 1,
            epochs,
            row[1],
            row[2],
            seconds,
            len(train_rows) / seconds,
        )
    table = pd.DataFrame(history, columns=HISTORY_COLUMNS)
    return table.astype({"epoch": int})
