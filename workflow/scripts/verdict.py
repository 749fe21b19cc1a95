"""Rule verdict: which module to believe, per disease (deepmodules.validate.verdict)."""

import logging

import pandas as pd

from deepmodules import layout
from deepmodules.validate.replication import summarize
from deepmodules.validate.verdict import verdict_table
from deepmodules.workflow import run


def main(smk):
    splits = pd.concat(
        [
            pd.read_csv(path, sep="\t").assign(model=name.split(":")[1], layer=name.split(":")[2])
            for name, path in smk.input.items()
            if name.startswith("replication:")
        ],
        ignore_index=True,
    )
    stability = pd.DataFrame(
        [
            {"disease": disease, "model": model, "layer": layer, "module_stability": first}
            for model, layer, disease, path in layout.modules_of(smk.input.items())
            for first in pd.read_csv(path, sep="\t", nrows=1)["module_stability"]
        ]
    )
    table = verdict_table(
        summarize(splits, smk.params.confidence),
        splits,
        stability,
        pd.read_csv(smk.input.gwas, sep="\t"),
        pd.read_csv(smk.input.encodability, sep="\t"),
        smk.params.naive,
        smk.params.confidence,
        smk.params.margin,
        smk.params.min_heldout,
    )
    for row in table.drop_duplicates("disease").itertuples():
        logging.log(
            logging.WARNING if row.deep_below_baseline else logging.INFO,
            "%s: %s",
            row.disease,
            row.verdict,
        )
    table.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
