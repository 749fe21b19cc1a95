"""Rule encodability: each disease's case-control contrast against its image through each layer."""

import logging

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.interpret.encodability import encodability
from deepmodules.model.network import load_layers
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    models = {
        model: load_layers(path)
        for model, path in zip(smk.params.models, smk.input.networks, strict=True)
    }
    diseases = {disease_id: d["label"] for disease_id, d in smk.params.diseases.items()}
    table = encodability(
        models,
        [tuple(pair) for pair in smk.params.pairs],
        data.values,
        data.samples,
        diseases,
        smk.params.control_label,
        smk.params.min_r,
    )
    for row in table[table["status"] != "encoded"].itertuples():
        logging.warning(
            "%s, %s %s: %s (r = %.2f against %s)",
            row.disease,
            row.model,
            row.layer,
            row.status,
            row.encodability_r,
            row.reference,
        )
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
