"""Rule silhouette: cell-type and disease silhouettes in 2-PC projections of each layer and of genes."""

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from deepmodules import compendium
from deepmodules.autoencoder import dense_layers, encode
from deepmodules.clustering import compare_to_genes, group_silhouettes, pca_coordinates
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(Path(smk.input.expression).parent)
    layers = dense_layers(keras.saving.load_model(smk.input.model))
    samples = data.samples
    # Cell types are compared among healthy samples, diseases among all annotated samples.
    healthy = (samples["disease"] == smk.params.control_label).to_numpy()
    groupings = {
        "cell_type": (healthy, samples["cell_type"].to_numpy()),
        "disease": (np.ones(len(samples), dtype=bool), samples["disease"].to_numpy()),
    }
    spaces = {"genes": np.asarray(data.values)}
    spaces.update({layer: encode(layers, data.values, layer) for layer in smk.params.layers})
    tables = []
    for space, x in spaces.items():
        for kind, (mask, labels) in groupings.items():
            table = group_silhouettes(pca_coordinates(x[mask]), labels[mask])
            tables.append(table.assign(layer=space, group_kind=kind))
    table = pd.concat(tables)[["layer", "group_kind", "group", "n", "silhouette"]]
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    cfg = smk.params.clustering
    summary = compare_to_genes(table, margin=cfg["margin"], p0=cfg["p0"])
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
