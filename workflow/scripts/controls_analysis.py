"""Rule controls_analysis: each disease study's module against a module from its own controls.

Both modules come from the same reverse-trained network (cases and controls of every disease study coded
apart) and are tested against the disease's GWAS genes; a binomial test asks whether the disease module
beats the control module in more studies than chance (paper: Supplementary Table 1).
"""

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from deepmodules import compendium
from deepmodules.autoencoder import dense_layers
from deepmodules.enrichment import binomial_greater, fisher_enrichment
from deepmodules.gwas import gwas_gene_sets
from deepmodules.reverse_training import (
    gene_scores,
    reference_phenotype,
    reverse_train,
    study_phenotype_labels,
)
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(Path(smk.input.expression).parent)
    settings, control, layer = smk.params.settings, smk.params.control_label, smk.params.layer
    labels = study_phenotype_labels(data.samples, control)
    layers = dense_layers(keras.saving.load_model(smk.input.model))
    z, phenotypes = reverse_train(data.values, labels, settings, layers, layer)
    universe = set(data.genes)
    gwas = gwas_gene_sets(pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False))
    genes = np.asarray(data.genes)

    def module(phenotype, reference):
        score = np.mean(
            [gene_scores(zs, phenotypes, phenotype, reference, settings["score"]) for zs in z],
            axis=0,
        )
        return genes[np.argsort(-score, kind="stable")[: smk.params.size]]

    rows = []
    for disease_id, spec in smk.params.diseases.items():
        gwas_genes = gwas.get(disease_id, set()) & universe
        if len(gwas_genes) < smk.params.min_gwas_genes:
            continue
        reference = reference_phenotype(data.samples, labels, spec["label"], control)
        studies = data.samples.loc[data.samples["disease"] == spec["label"], "study"].unique()
        for study in sorted(studies):
            cases, controls = f"{spec['label']} [{study}]", f"{control} [{study}]"
            if controls not in phenotypes:
                continue
            disease = fisher_enrichment(module(cases, reference), gwas_genes, universe)
            null = fisher_enrichment(module(controls, reference), gwas_genes, universe)
            rows.append(
                {
                    "disease": disease_id,
                    "study": study,
                    "layer": layer,
                    "n_cases": int((labels == cases).sum()),
                    "n_controls": int((labels == controls).sum()),
                    "disease_overlap": disease["overlap"],
                    "disease_p_value": disease["p_value"],
                    "control_overlap": null["overlap"],
                    "control_p_value": null["p_value"],
                    "disease_better": disease["p_value"] < null["p_value"],
                    "tie": disease["p_value"] == null["p_value"],
                }
            )
    table = pd.DataFrame(rows)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    n = len(table)
    ties = int(table["tie"].sum()) if n else 0
    better = int(table["disease_better"].sum()) if n else 0
    summary = pd.DataFrame(
        [
            {
                "layer": layer,
                "n_studies": n,
                "n_ties": ties,
                "n_disease_better": better,
                # A sign test: studies whose two modules are equally enriched carry no sign.
                "p_value": binomial_greater(better, n - ties) if n > ties else np.nan,
            }
        ]
    )
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
