"""Rule consensus_modules: each disease's module over an architecture's replicate autoencoders."""

import logging

import pandas as pd

from deepmodules.modules.consensus import consensus_module
from deepmodules.workflow import run


def main(smk):
    for disease, path in zip(smk.params.diseases, smk.output, strict=True):
        tables = [pd.read_csv(p, sep="\t", keep_default_na=False) for p in smk.input[disease]]
        module = consensus_module(tables, smk.params.size, smk.params.n_seeds)
        if len(tables) > 1 and module["status"].iloc[0] == "scored":
            logging.info(
                "%s: %d replicates, mean pairwise Jaccard of their top %d: %.2f",
                disease,
                len(tables),
                smk.params.size,
                module["module_stability"].iloc[0],
            )
        module.to_csv(path, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
