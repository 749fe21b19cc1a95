"""Fit one autoencoder of the sweep (paper, Methods: "Training the autoencoders"): the train rule's one call.

:func:`fit_autoencoder` builds the network of a model id (:mod:`deepmodules.model.autoencoder`), starts
its sigmoids centred on the training samples where ``training.centered_biases`` says so, trains it on
the training split until the stopping rule ends it (:mod:`deepmodules.model.training`), resuming from
a checkpoint written with the same settings, and returns the trained network as Keras model and numpy
layers with each hidden node's activity over the compendium (:mod:`deepmodules.model.activity`).

The Keras backend is checked before Keras is imported, so a missing backend is a one-line error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.model import activity, training
from deepmodules.model.architecture import parse_model_id, replicate_seed
from deepmodules.model.network import DenseLayer

log = logging.getLogger(__name__)

# The Adam settings of the training section (config keys of the same names).
OPTIMIZER = ("learning_rate", "beta_1", "beta_2", "epsilon", "decay")
# Training settings besides the optimizer's and the stopping rule's that a checkpoint must match.
MODEL_SETTINGS = ("batch_size", "noise_sd", "l1", "initializer", "centered_biases")
# Training samples the centred biases are computed from (the first ones of the training split).
CENTERING_SAMPLES = 4096


@dataclass
class FittedAutoencoder:
    """A trained autoencoder: the Keras ``model`` (float32), its ``layers`` in numpy, the ``nodes``'
    activity over the compendium, the training ``run`` and the dtype policy it trained in."""

    model: object
    layers: list[DenseLayer]
    nodes: pd.DataFrame
    run: training.TrainingRun
    dtype: str

    def summary(self, model_id: str) -> dict:
        """The row of ``training_summary.tsv``."""
        return {"model": model_id, **training.summary(self.run)}


def fit_autoencoder(
    values: np.ndarray,
    train: np.ndarray,
    model_id: str,
    seed: int,
    settings: dict,
    checkpoint: Path,
    checkpoint_seconds: float,
) -> FittedAutoencoder:
    """Train autoencoder ``model_id`` (replicate seeds from ``seed``) on ``values[train]``, tested on the
    other rows, with the ``training`` section's ``settings``; checkpoints go to ``checkpoint``, at
    most every ``checkpoint_seconds``."""
    spec = parse_model_id(model_id)
    seed = replicate_seed(seed, spec.replicate)
    training.check_backend(settings["backend"])
    from deepmodules.model import autoencoder
    from deepmodules.model.backend import keras  # loads the backend checked above

    dtype = autoencoder.resolve_precision(settings["precision"])
    log.info(
        "Keras %s backend on %s, dtype policy %s",
        keras.backend.backend(),
        ", ".join(keras.distribution.list_devices()),
        dtype,
    )
    model = autoencoder.build_autoencoder(
        values.shape[1],
        spec,
        optimizer={k: settings[k] for k in OPTIMIZER},
        noise_sd=settings["noise_sd"],
        l1=settings["l1"],
        seed=seed,
        dtype=dtype,
        initializer=settings["initializer"],
    )
    train_rows, test_rows = np.flatnonzero(train), np.flatnonzero(~train)
    if settings["centered_biases"]:
        autoencoder.center_biases(model, values[train_rows[:CENTERING_SAMPLES]])
    stopping = training.Stopping(**{k: settings[k] for k in training.STOPPING_SETTINGS})
    log.info(
        "training %s on %d samples × %d genes: %s",
        model_id,
        len(train_rows),
        values.shape[1],
        stopping,
    )
    fingerprint = training.fingerprint(
        model=model_id,
        shape=values.shape,
        train_rows=int(train_rows.sum()),
        seed=seed,
        dtype=dtype,
        **{k: settings[k] for k in (*OPTIMIZER, *training.STOPPING_SETTINGS, *MODEL_SETTINGS)},
    )
    run = training.train(
        model,
        values,
        train_rows,
        test_rows,
        stopping,
        settings["batch_size"],
        seed,
        checkpoint,
        fingerprint,
        checkpoint_seconds,
    )
    saved = autoencoder.float32_copy(model)
    layers = autoencoder.dense_layers(saved)
    return FittedAutoencoder(saved, layers, activity.node_activity(layers, values), run, dtype)
