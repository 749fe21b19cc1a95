"""Rule truth_recovery: score every disease module against the simulator's planted genes."""

import pandas as pd

from deepmodules import layout
from deepmodules.validate import truth
from deepmodules.workflow import run


def main(smk):
    planted = truth.planted_genes(smk.input.truth)
    tables = {
        (model, layer, disease): pd.read_csv(path, sep="\t", keep_default_na=False)
        for model, layer, disease, path in layout.modules_of(smk.input.items())
    }
    card = truth.scorecard(tables, planted, smk.params.k, smk.params.naive)
    card.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
