"""Rule genesets: enrichment of every node's top light-up genes in gene-set collections."""

import logging

import pandas as pd

from deepmodules.data.genesets import read_gmt
from deepmodules.interpret.genesets import layer_enrichment
from deepmodules.interpret.lightup import node_rankings, read_lightup
from deepmodules.workflow import run


def main(smk):
    cfg = smk.params.genesets
    universe = pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)["gene"].tolist()
    top = {
        layer: node_rankings(read_lightup(path), cfg["k"])
        for layer, path in zip(smk.params.layers, smk.input.lightup, strict=True)
    }
    rows = []
    for name, path in zip(smk.params.collections, smk.input.gmt, strict=True):
        collection = read_gmt(path)
        for layer, rankings in top.items():
            result = layer_enrichment(
                rankings,
                universe,
                collection,
                k=cfg["k"],
                min_size=cfg["min_size"],
                max_size=cfg["max_size"],
                alpha=cfg["alpha"],
                n_random=cfg["n_random"],
                seed=smk.params.seed,
            )
            logging.info(
                "%s %s: %d of %d nodes annotated (random gene sets: %.3f)",
                name,
                layer,
                result["annotated_nodes"],
                result["n_nodes"],
                result["random_fraction"],
            )
            rows.append({"model": smk.params.model, "layer": layer, "collection": name, **result})
    table = pd.DataFrame(rows)
    table.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
