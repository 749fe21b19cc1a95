"""Rule train: fit one autoencoder of the sweep on the training split, resuming from a checkpoint."""

import logging
import shutil

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model import training
from deepmodules.model.architecture import parse_model_id, replicate_seed
from deepmodules.workflow import run

OPTIMIZER = ("learning_rate", "beta_1", "beta_2", "epsilon", "decay")
# Training samples the centred biases are computed from (the first ones of the training split).
CENTERING_SAMPLES = 4096


def main(smk):
    cfg = smk.params.training
    spec = parse_model_id(smk.wildcards.model)
    seed = replicate_seed(smk.params.seed, spec.replicate)
    training.check_backend(cfg["backend"])
    from deepmodules.model import activity, autoencoder, network
    from deepmodules.model.backend import keras  # loads the backend checked above

    data = compendium.load(layout.normalized_folder(smk.input.expression))
    dtype = autoencoder.resolve_precision(cfg["precision"])
    logging.info(
        "Keras %s backend on %s, dtype policy %s",
        keras.backend.backend(),
        ", ".join(keras.distribution.list_devices()),
        dtype,
    )
    model = autoencoder.build_autoencoder(
        len(data.genes),
        spec,
        optimizer={k: cfg[k] for k in OPTIMIZER},
        noise_sd=cfg["noise_sd"],
        l1=cfg["l1"],
        seed=seed,
        dtype=dtype,
        initializer=cfg["initializer"],
    )
    train_rows = np.flatnonzero(data.train)
    test_rows = np.flatnonzero(~data.train)
    if cfg["centered_biases"]:
        autoencoder.center_biases(model, data.values[train_rows[:CENTERING_SAMPLES]])
    stopping = training.Stopping(**{k: cfg[k] for k in training.STOPPING_SETTINGS})
    logging.info(
        "training %s on %d samples × %d genes: %s",
        spec.model_id,
        len(train_rows),
        len(data.genes),
        stopping,
    )
    settings = training.fingerprint(
        model=spec.model_id,
        shape=data.values.shape,
        train_rows=int(train_rows.sum()),
        seed=seed,
        dtype=dtype,
        **{
            k: cfg[k]
            for k in (
                *OPTIMIZER,
                *training.STOPPING_SETTINGS,
                "batch_size",
                "noise_sd",
                "l1",
                "initializer",
                "centered_biases",
            )
        },
    )
    checkpoint = layout.checkpoint_dir(smk.output.model)
    result = training.train(
        model,
        data.values,
        train_rows,
        test_rows,
        stopping,
        cfg["batch_size"],
        seed,
        checkpoint / "state.npz",
        settings,
        smk.config["training"]["checkpoint_seconds"],
    )
    saved = autoencoder.float32_copy(model)
    layers = autoencoder.dense_layers(saved)
    nodes = activity.node_activity(layers, data.values)
    row = {"model": spec.model_id, **training.summary(result)}
    saved.save(smk.output.model)
    network.save_layers(smk.output.network, layers)
    nodes.to_csv(smk.output.node_activity, sep="\t", index=False, float_format="%.6g")
    result.history.to_csv(smk.output.history, sep="\t", index=False)
    pd.DataFrame([row]).to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")
    shutil.rmtree(checkpoint)


run(main, snakemake)  # noqa: F821
