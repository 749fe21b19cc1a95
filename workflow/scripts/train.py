"""Rule train: fit one autoencoder of the sweep on the training split."""

import logging
from pathlib import Path

import numpy as np

from deepmodules import autoencoder, compendium
from deepmodules.models import parse_model_id
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(Path(smk.input.expression).parent)
    spec = parse_model_id(smk.wildcards.model)
    cfg = smk.params.training
    optimizer = {k: cfg[k] for k in ("learning_rate", "beta_1", "beta_2", "epsilon", "decay")}
    model = autoencoder.build_autoencoder(
        len(data.genes),
        spec,
        optimizer=optimizer,
        noise_sd=cfg["noise_sd"],
        l1=cfg["l1"],
        seed=smk.params.seed,
    )
    x_train = np.asarray(data.values[data.train])
    x_test = np.asarray(data.values[~data.train])
    logging.info("training %s on %d samples × %d genes", spec.model_id, *x_train.shape)
    history = autoencoder.fit(model, x_train, x_test, cfg["epochs"], cfg["batch_size"])
    model.save(smk.output.model)
    history.to_csv(smk.output.history, sep="\t", index=False)


run(main, snakemake)  # noqa: F821
