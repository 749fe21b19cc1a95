"""Rule figure_reconstruction: Fig. 2."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    table = pd.read_csv(smk.input.table, sep="\t")
    genes = pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)
    figures.save(figures.reconstruction(table, genes), smk.output.pdf, smk.output.png)


run(main, snakemake)  # noqa: F821
