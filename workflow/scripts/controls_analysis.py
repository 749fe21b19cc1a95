"""Rule controls_analysis: each disease study's module against a module from its own controls.

Both modules come from the same reverse-trained network (cases and controls of every disease study coded
apart) and are tested against the disease's GWAS genes; a binomial test asks whether the disease module
beats the control module in more studies than chance (paper: Supplementary Table 1). Both are
contrasted with the disease's reference (its cell type's controls from healthy studies, else all
controls, :func:`deepmodules.reverse_training.disease_reference`), recorded in ``reference``. Studies
of a disease with too few cases or GWAS genes, without control samples, or without controls outside
the study to contrast with, are recorded as skipped with the reason.
"""

import logging
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from deepmodules import compendium
from deepmodules.autoencoder import dense_layers
from deepmodules.enrichment import binomial_greater, gwas_test
from deepmodules.gwas import gwas_gene_sets
from deepmodules.reverse_training import (
    disease_reference,
    gene_scores,
    reverse_train,
    study_phenotype_labels,
)
from deepmodules.workflow import run

COLUMNS = [
    "disease",
    "study",
    "layer",
    "n_cases",
    "n_controls",
    "reference",
    "disease_overlap",
    "disease_p_value",
    "control_overlap",
    "control_p_value",
    "disease_better",
    "tie",
    "status",
]


def main(smk):
    data = compendium.load(Path(smk.input.expression).parent)
    settings, control, layer = smk.params.settings, smk.params.control_label, smk.params.layer
    minimum = smk.params.min_gwas_genes
    skipped = compendium.check_diseases(
        data.samples, smk.params.diseases, smk.params.min_cases, smk.input.samples
    )
    labels = study_phenotype_labels(data.samples, control)
    layers = dense_layers(keras.saving.load_model(smk.input.model))
    z, phenotypes = reverse_train(data.values, labels, settings, layers, layer)
    universe = set(data.genes)
    gwas = gwas_gene_sets(pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False))
    genes = np.asarray(data.genes)
    span = data.gene_range.span

    def module(phenotype, reference):
        score = np.mean(
            [
                gene_scores(zs, phenotypes, phenotype, reference, settings["score"], span)
                for zs in z
            ],
            axis=0,
        )
        return genes[np.argsort(-score, kind="stable")[: smk.params.size]]

    rows = []
    for disease_id, spec in smk.params.diseases.items():
        gwas_genes = gwas.get(disease_id, set())
        reference = disease_reference(
            data.samples, labels, spec["label"], control, settings["score"]
        )
        studies = data.samples.loc[data.samples["disease"] == spec["label"], "study"].unique()
        for study in sorted(studies):
            cases, controls = f"{spec['label']} [{study}]", f"{control} [{study}]"
            # The study's own controls cannot be their own reference.
            against = [p for p in reference.phenotypes if p != controls]
            row = {
                "disease": disease_id,
                "study": study,
                "layer": layer,
                "n_cases": int((labels == cases).sum()),
                "n_controls": int((labels == controls).sum()),
                "reference": reference.name,
            }
            if disease_id in skipped or reference.skipped:
                row["status"] = f"skipped: {skipped.get(disease_id) or reference.skipped}"
            elif controls not in phenotypes:
                row["status"] = "skipped: the study has no control samples"
            elif reference.phenotypes and not against:
                row["status"] = "skipped: no control samples outside the study to contrast with"
            else:
                disease = gwas_test(module(cases, against), gwas_genes, universe, minimum)
                row["status"] = disease["status"]
            if row["status"] == "tested":
                null = gwas_test(module(controls, against), gwas_genes, universe, minimum)
                row.update(
                    disease_overlap=disease["overlap"],
                    disease_p_value=disease["p_value"],
                    control_overlap=null["overlap"],
                    control_p_value=null["p_value"],
                    disease_better=disease["p_value"] < null["p_value"],
                    tie=disease["p_value"] == null["p_value"],
                )
            else:
                logging.warning("%s, study %s: %s", disease_id, study, row["status"])
            rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    tested = table[table["status"] == "tested"]
    n, ties, better = len(tested), int(tested["tie"].sum()), int(tested["disease_better"].sum())
    summary = pd.DataFrame(
        [
            {
                "layer": layer,
                "n_studies": n,
                "n_ties": ties,
                "n_disease_better": better,
                "n_skipped": len(table) - n,
                # A sign test: studies whose two modules are equally enriched carry no sign.
                "p_value": binomial_greater(better, n - ties) if n > ties else np.nan,
            }
        ]
    )
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
