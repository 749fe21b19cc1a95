"""Rule modules_gmt: every disease module (top genes) as one GMT gene set."""

import logging

import pandas as pd

from deepmodules import layout
from deepmodules.modules.reverse_training import module_top_genes
from deepmodules.workflow import run


def main(smk):
    with open(smk.output[0], "w") as gmt:
        for model, layer, disease, path in layout.modules_of(smk.input.items()):
            module = pd.read_csv(path, sep="\t", keep_default_na=False)
            genes, status = module_top_genes(module, smk.params.size)
            name = f"{disease}__{model}__{layer}"
            if status != "scored":  # a gene set needs genes: a skipped module is left out
                logging.warning("%s left out: %s", name, status)
                continue
            gmt.write("\t".join([name, f"top {len(genes)} genes", *genes]) + "\n")


run(main, snakemake)  # noqa: F821
