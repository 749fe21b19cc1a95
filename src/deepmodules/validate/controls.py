"""Each disease study's module against a module from its own controls (paper: Supplementary Table 1).

Both modules come from the same reverse-trained network (cases and controls of every disease study coded
apart, :func:`deepmodules.modules.reverse_training.study_phenotype_labels`) and are tested against the
disease's GWAS genes (:func:`deepmodules.validate.enrichment.gwas_test`). Both are contrasted with the
disease's reference (its cell type's controls from healthy studies, else all controls,
:func:`deepmodules.modules.reverse_training.disease_reference`), minus the study's own controls.

A sign test then asks whether the disease module beats the control module in more studies than chance:
with n tested studies, t ties (equal p-values, which carry no sign) and b studies where the disease
module's p-value is the smaller, P = P(X >= b) for X ~ Binomial(n - t, 1/2). Studies of a disease with
too few cases or GWAS genes, without control samples, or without controls outside the study to contrast
with, are recorded as skipped with the reason and left out of the test.

It sits with validation, not with the disease modules, because it tests modules against GWAS genes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from deepmodules.modules.reverse_training import Reference
from deepmodules.stats import binomial_greater
from deepmodules.validate.enrichment import gwas_test

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
SUMMARY_COLUMNS = ["layer", "n_studies", "n_ties", "n_disease_better", "n_skipped", "p_value"]

# A module of `size` genes for a phenotype against the reference phenotypes (empty: none).
ModuleOf = Callable[[str, list[str]], Sequence[str]]


def skip_reason(
    disease_skip: str | None, reference: Reference, controls: str, phenotypes: Sequence[str]
) -> str | None:
    """Why a study cannot be tested, or None: the disease's own skip, the reference's, a study without
    control samples, or no control samples outside the study to contrast with."""
    if disease_skip or reference.skipped:
        return f"skipped: {disease_skip or reference.skipped}"
    if controls not in phenotypes:
        return "skipped: the study has no control samples"
    if reference.phenotypes and not [p for p in reference.phenotypes if p != controls]:
        return "skipped: no control samples outside the study to contrast with"
    return None


def study_comparison(
    disease_id: str,
    label: str,
    study: str,
    layer: str,
    labels: pd.Series,
    phenotypes: Sequence[str],
    control_label: str,
    reference: Reference,
    disease_skip: str | None,
    module_of: ModuleOf,
    gwas_genes: set[str],
    universe: set[str],
    min_gwas_genes: int,
) -> dict:
    """One row of :data:`COLUMNS`: the study's disease module and control module tested against the
    disease's GWAS genes, or the reason it is skipped in ``status``."""
    cases, controls = f"{label} [{study}]", f"{control_label} [{study}]"
    row = {
        "disease": disease_id,
        "study": study,
        "layer": layer,
        "n_cases": int((labels == cases).sum()),
        "n_controls": int((labels == controls).sum()),
        "reference": reference.name,
    }
    reason = skip_reason(disease_skip, reference, controls, phenotypes)
    if reason:
        return {**row, "status": reason}
    # The study's own controls cannot be their own reference.
    against = [p for p in reference.phenotypes if p != controls]
    disease = gwas_test(module_of(cases, against), gwas_genes, universe, min_gwas_genes)
    if disease["status"] != "tested":
        return {**row, "status": disease["status"]}
    control = gwas_test(module_of(controls, against), gwas_genes, universe, min_gwas_genes)
    return {
        **row,
        "disease_overlap": disease["overlap"],
        "disease_p_value": disease["p_value"],
        "control_overlap": control["overlap"],
        "control_p_value": control["p_value"],
        "disease_better": disease["p_value"] < control["p_value"],
        "tie": disease["p_value"] == control["p_value"],
        "status": "tested",
    }


def controls_table(
    samples: pd.DataFrame,
    labels: pd.Series,
    phenotypes: Sequence[str],
    diseases: Mapping[str, Mapping],
    control_label: str,
    references: Mapping[str, Reference],
    disease_skips: Mapping[str, str],
    module_of: ModuleOf,
    gwas: Mapping[str, set[str]],
    universe: set[str],
    layer: str,
    min_gwas_genes: int,
) -> pd.DataFrame:
    """:func:`study_comparison` for every study of every disease (``diseases``: id -> spec with
    ``label``), in study order; ``references`` holds each disease's reference."""
    rows = []
    for disease_id, spec in diseases.items():
        studies = samples.loc[samples["disease"] == spec["label"], "study"].unique()
        for study in sorted(studies):
            rows.append(
                study_comparison(
                    disease_id,
                    spec["label"],
                    study,
                    layer,
                    labels,
                    phenotypes,
                    control_label,
                    references[disease_id],
                    disease_skips.get(disease_id),
                    module_of,
                    gwas.get(disease_id, set()),
                    universe,
                    min_gwas_genes,
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def sign_test(table: pd.DataFrame, layer: str) -> pd.DataFrame:
    """One row of :data:`SUMMARY_COLUMNS`: the sign test over the tested studies of ``table``.

    Ties carry no sign and are left out: P = P(X >= n_disease_better), X ~ Binomial(n_studies -
    n_ties, 1/2); NaN when every tested study is a tie or none is tested.
    """
    tested = table[table["status"] == "tested"]
    n = len(tested)
    ties = int(tested["tie"].astype(bool).sum())
    better = int(tested["disease_better"].astype(bool).sum())
    row = {
        "layer": layer,
        "n_studies": n,
        "n_ties": ties,
        "n_disease_better": better,
        "n_skipped": len(table) - n,
        "p_value": binomial_greater(better, n - ties) if n > ties else np.nan,
    }
    return pd.DataFrame([row], columns=SUMMARY_COLUMNS)
