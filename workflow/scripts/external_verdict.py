"""Rule external_verdict: which of an external dataset's modules to believe, per reference group."""

import logging

import pandas as pd

from deepmodules.validate.verdict import external_verdict
from deepmodules.workflow import external_on_model, run


def main(smk):
    data = external_on_model(smk)
    table = external_verdict(
        smk.wildcards.external,
        data.sheet,
        data.x,
        smk.params.spec,
        data.reference.genes,
        data.reference.gene_range.span,
        data.model,
        data.layers,
        data.layer_names,
        smk.params.naive_hidden,
        smk.params.settings,
        smk.params.size,
        pd.read_csv(smk.input.gwas, sep="\t"),
        smk.params.verdict,
        smk.params.seed,
    )
    for row in table.drop_duplicates("disease").itertuples():
        level = logging.WARNING if row.deep_below_baseline else logging.INFO
        logging.log(level, "%s: %s", row.disease, row.verdict)
    table.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
