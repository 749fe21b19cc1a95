"""Rule check_inputs: the reports of every input check, in one table."""

import pandas as pd

from deepmodules.workflow import run


def main(smk):
    tables = [pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) for path in smk.input]
    pd.concat(tables).to_csv(smk.output[0], sep="\t", index=False)


run(main, snakemake)  # noqa: F821
