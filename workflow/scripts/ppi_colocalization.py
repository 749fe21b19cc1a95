"""Rule ppi_colocalization: STRING closeness and centrality of every live node's top light-up genes."""

import logging

import pandas as pd

from deepmodules.data.stringdb import read_string
from deepmodules.interpret.colocalization import colocalize_layers, live_layer_summary
from deepmodules.interpret.lightup import read_lightup
from deepmodules.workflow import run


def main(smk):
    lightups = {
        layer: read_lightup(path)
        for layer, path in zip(smk.params.layers, smk.input.lightup, strict=True)
    }
    diversity = pd.concat([pd.read_csv(path, sep="\t") for path in smk.input.diversity])
    genes = next(iter(lightups.values())).index
    network = read_string(
        smk.input.links,
        smk.input.info,
        min_score=smk.params.network["min_score"],
        genes=genes,
        min_shared_genes=smk.params.network["min_shared_genes"],
    )
    logging.info(
        "%d of %d expressed genes are in the network (%d edges)",
        len(network.genes),
        len(genes),
        network.n_edges,
    )
    table = colocalize_layers(lightups, network, smk.params.ppi, smk.params.seed)
    table.insert(0, "model", smk.params.model)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    configured = diversity[diversity["configured"].astype(str) == "True"]
    summary = live_layer_summary(table, configured)
    summary.insert(0, "model", smk.params.model)
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")
    diversity.to_csv(smk.output.diversity, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
