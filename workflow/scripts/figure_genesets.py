"""Rule figure_genesets: supplementary figure of light-up genes in gene-set collections."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    tables = [
        pd.read_csv(path, sep="\t").assign(dataset=dataset)
        for dataset, path in zip(smk.params.datasets, smk.input, strict=True)
    ]
    figures.save(figures.supp_genesets(pd.concat(tables)), smk.output.pdf, smk.output.png)


run(main, snakemake)  # noqa: F821
