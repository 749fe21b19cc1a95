"""Rule figure_gwas: Fig. 3 (microarrays) and Fig. 6 (RNA-seq), and their supplementary table."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    read = {"sep": "\t", "keep_default_na": False, "na_values": [""]}
    table = pd.read_csv(smk.input.table, **read)
    combined = pd.read_csv(smk.input.combined, **read)
    sensitivity = pd.read_csv(smk.input.sensitivity, **read)
    supplementary = figures.gwas_table(table, combined, sensitivity)
    figures.save(figures.gwas_enrichment(table), smk.output.pdf, smk.output.png)
    supplementary.to_csv(smk.output.table, sep="\t", index=False, na_rep="NaN")


run(main, snakemake)  # noqa: F821
