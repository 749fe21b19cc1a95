"""Rule train: fit one autoencoder of the sweep on the training split, resuming from a checkpoint."""

import logging
import shutil

import numpy as np

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model import training
from deepmodules.model.architecture import parse_model_id
from deepmodules.workflow import run

OPTIMIZER = ("learning_rate", "beta_1", "beta_2", "epsilon", "decay")


def main(smk):
    cfg = smk.params.training
    spec = parse_model_id(smk.wildcards.model)
    training.check_backend(cfg["backend"])
    import keras  # loads the backend checked above

    from deepmodules.model import autoencoder

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
        seed=smk.params.seed,
        dtype=dtype,
    )
    train_rows = np.flatnonzero(data.train)
    test_rows = np.flatnonzero(~data.train)
    logging.info(
        "training %s on %d samples × %d genes", spec.model_id, len(train_rows), len(data.genes)
    )
    settings = training.fingerprint(
        model=spec.model_id,
        shape=data.values.shape,
        train_rows=int(train_rows.sum()),
        seed=smk.params.seed,
        dtype=dtype,
        **{k: cfg[k] for k in (*OPTIMIZER, "batch_size", "noise_sd", "l1")},
    )
    checkpoint = layout.checkpoint_dir(smk.output.model)
    history = training.train(
        model,
        data.values,
        train_rows,
        test_rows,
        cfg["epochs"],
        cfg["batch_size"],
        smk.params.seed,
        checkpoint / "state.npz",
        settings,
    )
    autoencoder.float32_copy(model).save(smk.output.model)
    history.to_csv(smk.output.history, sep="\t", index=False)
    shutil.rmtree(checkpoint)


run(main, snakemake)  # noqa: F821
