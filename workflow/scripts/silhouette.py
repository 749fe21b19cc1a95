"""Rule silhouette: cell-type, disease and study silhouettes in 2-PC projections of each layer and of genes."""

import logging

import numpy as np

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.interpret.clustering import compare_to_genes, live_codes, silhouette_table
from deepmodules.model.activity import read_activity
from deepmodules.model.network import encode, load_layers
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    layers = load_layers(smk.input.network)
    activity = read_activity(smk.input.node_activity, smk.params.flat_sd)
    samples = data.samples
    everyone = np.ones(len(samples), dtype=bool)
    # Cell types are compared among healthy samples, diseases and studies among all samples.
    groupings = {
        "cell_type": (
            (samples["disease"] == smk.params.control_label).to_numpy(),
            samples["cell_type"].to_numpy(),
        ),
        "disease": (everyone, samples["disease"].to_numpy()),
        "study": (everyone, samples["study"].to_numpy()),
    }
    spaces, flat = {"genes": np.asarray(data.values)}, {}
    for layer in smk.params.layers:
        codes = encode(layers, data.values, layer)
        spaces[layer] = live_codes(codes, activity, layer, smk.input.node_activity)
        flat[layer] = codes.shape[1] - spaces[layer].shape[1]
        logging.info(
            "%s: %d of %d nodes live, flat nodes left out of the projection",
            layer,
            spaces[layer].shape[1],
            codes.shape[1],
        )
    table = silhouette_table(spaces, groupings, flat)
    for row in table[table["status"] != "tested"].itertuples():
        logging.warning("%s, %s: %s", row.layer, row.group_kind, row.status)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    cfg = smk.params.clustering
    summary = compare_to_genes(table, margin=cfg["margin"], p0=cfg["p0"])
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
