"""The paper's figures, drawn from the workflow's result tables: one module per figure family."""

import matplotlib

# Figures are written to files: the non-interactive backend, chosen before any pyplot import.
matplotlib.use("Agg")

from deepmodules.figures.fig_gwas import (
    GWAS_COMBINED_ROW,
    GWAS_COUNT_FIELDS,
    GWAS_MAPPING_FIELDS,
    GWAS_MODEL_ORDER,
    GWAS_NULL_FIELDS,
    GWAS_TABLE_FIELDS,
    NO_DISEASE,
    NOT_APPLICABLE,
    NOT_COMPUTED,
    gwas_enrichment,
    gwas_series,
    gwas_table,
    with_series,
)
from deepmodules.figures.fig_ppi import ppi_colocalization
from deepmodules.figures.fig_reconstruction import reconstruction
from deepmodules.figures.fig_silhouette import silhouette
from deepmodules.figures.fig_supplementary import supp_genesets, truth_recovery
from deepmodules.figures.style import LAYER_COLORS, save

__all__ = [
    "LAYER_COLORS",
    "save",
    "reconstruction",
    "GWAS_COMBINED_ROW",
    "GWAS_COUNT_FIELDS",
    "GWAS_MAPPING_FIELDS",
    "GWAS_MODEL_ORDER",
    "GWAS_NULL_FIELDS",
    "GWAS_TABLE_FIELDS",
    "NOT_APPLICABLE",
    "NOT_COMPUTED",
    "NO_DISEASE",
    "gwas_enrichment",
    "gwas_series",
    "gwas_table",
    "with_series",
    "silhouette",
    "ppi_colocalization",
    "supp_genesets",
    "truth_recovery",
]
