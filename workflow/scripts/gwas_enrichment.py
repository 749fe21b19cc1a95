"""Rule gwas_enrichment: each disease module against the disease's GWAS genes (Fisher exact)."""

import logging

import pandas as pd

from deepmodules.enrichment import adjust_and_combine, gwas_test
from deepmodules.gwas import gwas_gene_sets
from deepmodules.reconstruction import failed_models
from deepmodules.workflow import run


def main(smk):
    universe = set(pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)["gene"])
    gwas = gwas_gene_sets(pd.read_csv(smk.input.gwas[0], sep="\t", keep_default_na=False))
    paths = iter(smk.input.modules)
    rows = []
    for model, layer in smk.params.pairs:
        for disease in smk.params.diseases:
            module = pd.read_csv(next(paths), sep="\t", keep_default_na=False)
            top = module.nsmallest(smk.params.size, "rank")["gene"]
            result = gwas_test(top, gwas.get(disease, set()), universe, smk.params.min_gwas_genes)
            if result["status"] != "tested":
                logging.warning("%s, %s %s: %s", disease, model, layer, result["status"])
            rows.append({"disease": disease, "model": model, "layer": layer, **result})
    table, combined = adjust_and_combine(pd.DataFrame(rows))
    columns = ["disease", "model", "layer", "module_size", "overlap", "gwas_genes", "universe"]
    table = table[[*columns, "odds_ratio", "p_value", "q_value", "status"]]
    table["reconstruction_ok"] = ~table["model"].isin(failed_models(smk.input.reconstruction))
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    combined.to_csv(smk.output.combined, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
