"""Rule gwas_enrichment: each disease module against the disease's GWAS genes (Fisher exact)."""

import logging

import numpy as np
import pandas as pd

from deepmodules.enrichment import benjamini_hochberg, fisher_combined, fisher_enrichment
from deepmodules.gwas import gwas_gene_sets
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
            genes = gwas.get(disease, set()) & universe
            row = {"disease": disease, "model": model, "layer": layer}
            if len(genes) < smk.params.min_gwas_genes:
                row.update(status=f"skipped: {len(genes)} GWAS genes in the universe")
                logging.warning("%s: %s", disease, row["status"])
            else:
                row.update(fisher_enrichment(top, genes, universe), status="tested")
            rows.append(row)
    table = pd.DataFrame(rows)
    for column in ("module_size", "overlap", "gwas_genes", "universe", "odds_ratio", "p_value"):
        if column not in table:
            table[column] = np.nan
    tested = table["status"] == "tested"
    table["q_value"] = np.nan
    table.loc[tested, "q_value"] = benjamini_hochberg(table.loc[tested, "p_value"])
    columns = ["disease", "model", "layer", "module_size", "overlap", "gwas_genes", "universe"]
    table = table[[*columns, "odds_ratio", "p_value", "q_value", "status"]]
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")

    combined = [
        {
            "model": model,
            "layer": layer,
            "n_diseases": len(group),
            "combined_p_value": fisher_combined(group["p_value"]) if len(group) else np.nan,
        }
        for (model, layer), group in table[tested].groupby(["model", "layer"], sort=False)
    ]
    pd.DataFrame(combined, columns=["model", "layer", "n_diseases", "combined_p_value"]).to_csv(
        smk.output.combined, sep="\t", index=False, float_format="%.6g"
    )


run(main, snakemake)  # noqa: F821
