"""Rule modules_gmt: every disease module (top genes) as one GMT gene set, and the consensus module of
each disease: the recommended module's top genes (verdict.tsv) held by at least half of its replicates."""

import logging

import pandas as pd

from deepmodules import layout
from deepmodules.modules.reverse_training import module_top_genes
from deepmodules.workflow import run

# A gene of the consensus module is in the top genes of at least this share of the replicates.
MIN_STABILITY = 0.5


def main(smk):
    verdict = pd.read_csv(smk.input.verdict, sep="\t", keep_default_na=False)
    recommended = {
        (row.model, row.layer, row.disease): row.verdict
        for row in verdict[verdict["recommended"].astype(str) == "True"].itertuples()
    }
    consensus = []
    with open(smk.output[0], "w") as gmt:
        for model, layer, disease, path in layout.modules_of(smk.input.items()):
            module = pd.read_csv(path, sep="\t", keep_default_na=False)
            genes, status = module_top_genes(module, smk.params.size)
            name = f"{disease}__{model}__{layer}"
            if status != "scored":  # a gene set needs genes: a skipped module is left out
                logging.warning("%s left out: %s", name, status)
                continue
            gmt.write("\t".join([name, f"top {len(genes)} genes", *genes]) + "\n")
            if (model, layer, disease) in recommended:
                top = module[module["gene"].isin(genes)]
                stable = top.loc[top["stability"].astype(float) >= MIN_STABILITY, "gene"]
                what = f"{recommended[model, layer, disease]}; {model} {layer} top genes in >= half of its replicates"
                consensus.append([f"{disease}__consensus", what, *stable])
        for row in consensus:
            gmt.write("\t".join(row) + "\n")


run(main, snakemake)  # noqa: F821
