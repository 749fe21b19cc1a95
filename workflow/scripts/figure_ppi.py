"""Rule figure_ppi: Fig. 5 (microarrays) and Fig. 7 (RNA-seq)."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    table = pd.read_csv(smk.input.table, sep="\t")
    summary = pd.read_csv(smk.input.summary, sep="\t")
    figures.save(figures.ppi_colocalization(table, summary), smk.output.pdf, smk.output.png)


run(main, snakemake)  # noqa: F821
