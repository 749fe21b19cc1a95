"""Rule controls_analysis: each disease study's module against a module from its own controls
(:mod:`deepmodules.validate.controls`)."""

import logging

import pandas as pd

from deepmodules import layout
from deepmodules.data import annotation, compendium
from deepmodules.model.network import load_layers
from deepmodules.modules.reverse_training import (
    contrast_module,
    disease_reference,
    reverse_train,
    study_phenotype_labels,
)
from deepmodules.validate.controls import controls_table, sign_test
from deepmodules.validate.gwas import gwas_gene_sets
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    settings, control, layer = smk.params.settings, smk.params.control_label, smk.params.layer
    skipped = annotation.check_diseases(
        data.samples, smk.params.diseases, smk.params.min_cases, smk.input.samples
    )
    labels = study_phenotype_labels(data.samples, control)
    layers = load_layers(smk.input.network)
    z, phenotypes = reverse_train(data.values, labels, settings, layers, layer)

    def module_of(phenotype, reference):
        module = contrast_module(
            z, phenotypes, phenotype, reference, settings["score"], data.genes, data.gene_range.span
        )
        return module["gene"].to_numpy()[: smk.params.size]

    references = {
        disease_id: disease_reference(
            data.samples, labels, spec["label"], control, settings["score"]
        )
        for disease_id, spec in smk.params.diseases.items()
    }
    gwas = gwas_gene_sets(pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False))
    table = controls_table(
        data.samples,
        labels,
        phenotypes,
        smk.params.diseases,
        control,
        references,
        skipped,
        module_of,
        gwas,
        set(data.genes),
        layer,
        smk.params.min_gwas_genes,
    )
    for row in table[table["status"] != "tested"].itertuples():
        logging.warning("%s, study %s: %s", row.disease, row.study, row.status)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    sign_test(table, layer).to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
