"""Rule lightup: every gene's light-up score for each live node of one layer, and its diversity."""

import logging

import pandas as pd

from deepmodules import layout
from deepmodules.interpret.lightup import layer_diversity, node_rankings
from deepmodules.model.activity import read_activity
from deepmodules.model.network import load_layers
from deepmodules.workflow import run


def main(smk):
    layers = load_layers(smk.input.network)
    genes = pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)["gene"].tolist()
    activity = read_activity(smk.input.activity, smk.params.flat_sd)
    layer = smk.wildcards.layer
    table, rows = layer_diversity(layers, layer, genes, activity, smk.params.lightup, smk.params.k)
    for row in rows.itertuples():
        logging.info(
            "%s %s: %d of %d nodes live (%d flat left out); %s",
            layer,
            row.method,
            row.n_live,
            row.n_nodes,
            row.n_flat,
            f"{row.n_distinct_sets} distinct top-{row.k} sets, mean Jaccard {row.mean_jaccard:.3f}"
            if row.status == "lit up"
            else "nothing to light up",
        )
    if table.shape[1] == 0:
        logging.warning("%s: no live nodes; the light-up tables are empty", layer)
    table.to_csv(smk.output.activations, sep="\t", float_format="%.6g", compression=layout.GZIP)
    node_rankings(table, smk.params.top).to_csv(
        smk.output.rankings, sep="\t", index=False, compression=layout.GZIP
    )
    rows.insert(0, "model", smk.wildcards.model)
    rows.to_csv(smk.output.diversity, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
