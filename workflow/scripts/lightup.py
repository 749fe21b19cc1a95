"""Rule lightup: the output response of every gene to each lit-up node of one layer."""

import keras
import pandas as pd

from deepmodules.autoencoder import dense_layers
from deepmodules.lightup import lightup, node_rankings
from deepmodules.workflow import run


def main(smk):
    layers = dense_layers(keras.saving.load_model(smk.input.model))
    genes = pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)["gene"].tolist()
    table = lightup(layers, smk.wildcards.layer, genes, smk.params.max_activation)
    table.to_csv(smk.output.activations, sep="\t", float_format="%.6g")
    node_rankings(table, smk.params.top).to_csv(smk.output.rankings, sep="\t", index=False)


run(main, snakemake)  # noqa: F821
