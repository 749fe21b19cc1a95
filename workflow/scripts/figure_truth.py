"""Rule figure_truth: supplementary figure of planted-gene recovery per model and layer."""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    tables = [
        pd.read_csv(path, sep="\t").assign(dataset=dataset)
        for dataset, path in zip(smk.params.datasets, smk.input, strict=True)
    ]
    table = pd.concat(tables)
    figures.save(figures.truth_recovery(table), smk.output.pdf, smk.output.png)


run(main, snakemake)  # noqa: F821
