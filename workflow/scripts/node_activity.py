"""Rule node_activity: mean and sd of every hidden node over all samples, and which nodes are flat."""

import logging

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model.activity import flat_counts, node_activity
from deepmodules.model.autoencoder import dense_layers
from deepmodules.model.backend import keras
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    layers = dense_layers(keras.saving.load_model(smk.input.model))
    table = node_activity(layers, data.values, smk.params.flat_sd)
    for row in flat_counts(table).itertuples():
        logging.info(
            "%s: %d of %d nodes flat (activation sd < %g over %d samples)",
            row.layer,
            row.n_flat,
            row.n_nodes,
            smk.params.flat_sd,
            len(data.values),
        )
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
