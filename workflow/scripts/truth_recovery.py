"""Rule truth_recovery: score every disease module against the simulator's planted genes."""

import pandas as pd

from deepmodules import truth
from deepmodules.workflow import run


def main(smk):
    planted = truth.planted_genes(smk.input.truth)
    keys = [
        (model, layer, disease)
        for model, layer in smk.params.models
        for disease in smk.params.diseases
    ]
    tables = {
        key: pd.read_csv(path, sep="\t", keep_default_na=False)
        for key, path in zip(keys, smk.input.modules, strict=True)
    }
    card = truth.scorecard(tables, planted, smk.params.k, smk.params.naive)
    card.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
