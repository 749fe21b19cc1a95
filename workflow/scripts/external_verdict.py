"""Rule external_verdict: which of an external dataset's modules to believe, per reference group."""

import logging

import pandas as pd

from deepmodules.data import compendium
from deepmodules.data.external import to_compendium
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.network import load_layers
from deepmodules.validate.verdict import external_verdict
from deepmodules.workflow import analysed_with, run


def main(smk):
    model, dataset = analysed_with(smk)
    reference = compendium.load_reference(smk.input.genes, smk.input.scale)
    sheet, x = to_compendium(smk.wildcards.external, smk.params.spec, dataset, reference)
    table = external_verdict(
        smk.wildcards.external,
        sheet,
        x,
        smk.params.spec,
        reference.genes,
        reference.gene_range.span,
        model,
        load_layers(smk.input.network),
        parse_model_id(model).layers,
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
