"""Rule external_dataset: modules of an external disease dataset (a matrix and sample sheet, or a GEO
series of an ARCHS4 file) with a compendium's autoencoder or a bundle's, and their GWAS enrichment:
the Fisher exact test and the null of gene sets matched on length and gene density
(:func:`deepmodules.validate.enrichment.external_gwas_table`)."""

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.modules.external import external_modules
from deepmodules.validate.enrichment import external_gwas_table, matched_strata
from deepmodules.workflow import external_on_model, run


def main(smk):
    spec, cfg = smk.params.spec, smk.params.gwas
    data = external_on_model(smk)
    naive = smk.params.naive_hidden
    modules = external_modules(
        data.sheet,
        data.x,
        spec,
        data.model,
        data.layers,
        data.layer_names,
        naive,
        smk.params.settings,
        data.reference,
    )
    for (model, layer, group), module in modules.items():
        baseline = model if model == f"naive{naive}" else None
        path = layout.external_module_file(smk.output.modules, layer, group, baseline)
        path.parent.mkdir(parents=True, exist_ok=True)
        module.to_csv(path, sep="\t", index=False, float_format="%.6g")
    gwas = pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False)
    features = pd.read_csv(smk.input.features, sep="\t", keep_default_na=False)
    genes = data.reference.genes
    table = external_gwas_table(
        modules,
        spec["case"],
        gwas.loc[gwas["disease"] == smk.wildcards.external, ["gene", "locus"]],
        matched_strata(features, genes, cfg["null_stratum_genes"], cfg["null_density_bins"]),
        smk.params.size,
        cfg["min_gwas_genes"],
        cfg["null_draws"],
        np.random.default_rng(smk.params.seed),
    )
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
