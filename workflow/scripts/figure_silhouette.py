"""Rule figure_silhouette: Fig. 4."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    table = pd.read_csv(smk.input.table, sep="\t", keep_default_na=False, na_values=[""])
    summary = pd.read_csv(smk.input.summary, sep="\t")
    figures.save(figures.silhouette(table, summary), smk.output.pdf, smk.output.png)


run(main, snakemake)  # noqa: F821
