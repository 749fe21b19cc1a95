"""Rule figure_gwas: Fig. 3 (microarrays) and Fig. 6 (RNA-seq)."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    table = pd.read_csv(smk.input.table, sep="\t", keep_default_na=False, na_values=[""])
    figures.save(figures.gwas_enrichment(table), smk.output.pdf, smk.output.png)


run(main, snakemake)  # noqa: F821
