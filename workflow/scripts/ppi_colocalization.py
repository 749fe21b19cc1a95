"""Rule ppi_colocalization: STRING closeness and centrality of every live node's top light-up genes."""

import logging
import time

import pandas as pd

from deepmodules.interpret.colocalization import NODE_COLUMNS, colocalization, live_layer_summary
from deepmodules.interpret.distances import betweenness, reciprocal_distances
from deepmodules.interpret.lightup import read_lightup
from deepmodules.interpret.network import read_string
from deepmodules.workflow import run


def main(smk):
    cfg, net_cfg = smk.params.ppi, smk.params.network
    lightups = [read_lightup(path) for path in smk.input.lightup]
    diversity = pd.concat([pd.read_csv(path, sep="\t") for path in smk.input.diversity])
    network = read_string(
        smk.input.links,
        smk.input.info,
        min_score=net_cfg["min_score"],
        genes=lightups[0].index,
        min_shared_genes=net_cfg["min_shared_genes"],
    )
    logging.info(
        "%d of %d expressed genes are in the network (%d edges)",
        len(network.genes),
        len(lightups[0]),
        network.n_edges,
    )
    start = time.perf_counter()
    reciprocal = reciprocal_distances(network)
    logging.info("all-pairs distances in %.1f s", time.perf_counter() - start)
    start = time.perf_counter()
    centrality = betweenness(network, cfg["betweenness_sources"], seed=smk.params.seed)
    logging.info("betweenness in %.1f s", time.perf_counter() - start)
    tables = []
    for layer, rankings in zip(smk.params.layers, lightups, strict=True):
        if rankings.shape[1] == 0:
            logging.warning("%s: no live nodes, left out of the colocalization", layer)
            continue
        start = time.perf_counter()
        table = colocalization(
            rankings,
            network,
            ks=cfg["ks"],
            n_null=cfg["n_null"],
            null=cfg["null_model"],
            n_bins=cfg["degree_bins"],
            seed=smk.params.seed,
            centrality=centrality,
            reciprocal=reciprocal,
            n_permutations=cfg["n_permutations"],
            permutation_max_k=cfg["permutation_max_k"],
        )
        logging.info(
            "%s: %d live nodes, %d gene sets in %.1f s",
            layer,
            rankings.shape[1],
            len(table),
            time.perf_counter() - start,
        )
        tables.append(table.assign(model=smk.params.model, layer=layer))
    columns = ["model", "layer", *NODE_COLUMNS]
    table = pd.concat(tables)[columns] if tables else pd.DataFrame(columns=columns)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    configured = diversity[diversity["configured"].astype(str) == "True"]
    summary = live_layer_summary(table, configured)
    summary.insert(0, "model", smk.params.model)
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")
    diversity.to_csv(smk.output.diversity, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
