"""Rule gwas_enrichment: each disease module against the disease's GWAS genes, by the paper's Fisher
exact test and against random gene sets matched on gene length and local gene density, under the
closest-gene and the gene-window mapping (:func:`deepmodules.validate.enrichment.module_gwas_tables`)."""

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.model.reconstruction import failed_models
from deepmodules.modules.reverse_training import module_top_genes
from deepmodules.validate.enrichment import matched_strata, module_gwas_tables
from deepmodules.validate.gwas import MAPPINGS
from deepmodules.workflow import run


def main(smk):
    cfg = smk.params.gwas
    universe = set(pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)["gene"])
    features = pd.read_csv(smk.input.features, sep="\t", keep_default_na=False)
    modules = [
        (
            disease,
            model,
            layer,
            *module_top_genes(pd.read_csv(path, sep="\t", keep_default_na=False), smk.params.size),
        )
        for model, layer, disease, path in layout.modules_of(smk.input.items())
    ]
    tables = module_gwas_tables(
        modules,
        pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False),
        matched_strata(features, universe, cfg["null_stratum_genes"], cfg["null_density_bins"]),
        MAPPINGS,
        cfg["mapping"],
        cfg["min_gwas_genes"],
        cfg["null_draws"],
        np.random.default_rng(smk.params.seed),
    )
    table, combined = tables[cfg["mapping"]]
    encodable = pd.read_csv(smk.input.encodability, sep="\t")
    encodable = encodable[["disease", "model", "layer", "encodability_r", "encodable"]]
    table = table.merge(encodable, on=["disease", "model", "layer"], how="left")
    table["reconstruction_ok"] = ~table["model"].isin(failed_models(smk.input.reconstruction))
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    combined.to_csv(smk.output.combined, sep="\t", index=False, float_format="%.6g")
    sensitivity = pd.concat([tables[mapping][0] for mapping in MAPPINGS])
    sensitivity.to_csv(smk.output.sensitivity, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
