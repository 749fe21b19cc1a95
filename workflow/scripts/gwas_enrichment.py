"""Rule gwas_enrichment: each disease module against the disease's GWAS genes, by the paper's Fisher
exact test and against random gene sets matched on gene length and local gene density, under the
closest-gene and the gene-window mapping."""

import logging

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.model.reconstruction import failed_models
from deepmodules.modules.reverse_training import module_top_genes
from deepmodules.validate.enrichment import (
    ENRICHMENT_FIELDS,
    NULL_FIELDS,
    adjust_and_combine,
    matched_gwas_test,
    matched_strata,
)
from deepmodules.validate.gwas import MAPPINGS
from deepmodules.workflow import run

COLUMNS = [
    "disease", "model", "layer", "mapping", "module_size", "overlap", "n_loci", "gwas_genes",
    "universe", "odds_ratio", "null_median_odds_ratio", "p_value", "empirical_p_value", "q_value",
    "null_module_share", "length_density_bias", "status",
]  # fmt: skip


def main(smk):
    cfg = smk.params.gwas
    universe = set(pd.read_csv(smk.input.genes, sep="\t", keep_default_na=False)["gene"])
    mapped = pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False)
    features = pd.read_csv(smk.input.features, sep="\t", keep_default_na=False)
    strata = matched_strata(features, universe, cfg["null_stratum_genes"], cfg["null_density_bins"])
    rng = np.random.default_rng(smk.params.seed)
    modules = []
    for model, layer, disease, path in layout.modules_of(smk.input.items()):
        module = pd.read_csv(path, sep="\t", keep_default_na=False)
        modules.append((disease, model, layer, *module_top_genes(module, smk.params.size)))
    tables = {}
    for mapping in MAPPINGS:
        rows_of = mapped[mapped["mapping"] == mapping]
        loci = {disease: rows[["gene", "locus"]] for disease, rows in rows_of.groupby("disease")}
        none = pd.DataFrame(columns=["gene", "locus"])
        rows = []
        for disease, model, layer, top, status in modules:
            if status != "scored":  # the module itself was skipped: its reason, NaN statistics
                fields = [*ENRICHMENT_FIELDS, *NULL_FIELDS, "length_density_bias"]
                result = {**dict.fromkeys(fields, np.nan), "status": status}
            else:
                result = matched_gwas_test(
                    top,
                    loci.get(disease, none),
                    strata,
                    cfg["min_gwas_genes"],
                    cfg["null_draws"],
                    rng,
                )
            where = f"{disease}, {model} {layer}, {mapping} mapping"
            if result["status"] != "tested" and mapping == cfg["mapping"]:
                logging.warning("%s: %s", where, result["status"])
            elif result["status"] == "tested" and result["null_module_share"] > 0.5:
                logging.warning(
                    "%s: gene sets matched on length and density share %.0f%% of the module's "
                    "genes; the matched null has little power here",
                    where,
                    100 * result["null_module_share"],
                )
            keys = {"disease": disease, "model": model, "layer": layer, "mapping": mapping}
            rows.append({**keys, **result})
        tables[mapping] = adjust_and_combine(pd.DataFrame(rows))
    table, combined = tables[cfg["mapping"]]
    table = table[COLUMNS]
    encodable = pd.read_csv(smk.input.encodability, sep="\t")
    encodable = encodable[["disease", "model", "layer", "encodability_r", "encodable"]]
    table = table.merge(encodable, on=["disease", "model", "layer"], how="left")
    table["reconstruction_ok"] = ~table["model"].isin(failed_models(smk.input.reconstruction))
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    combined.to_csv(smk.output.combined, sep="\t", index=False, float_format="%.6g")
    sensitivity = pd.concat([tables[mapping][0][COLUMNS] for mapping in MAPPINGS])
    sensitivity.to_csv(smk.output.sensitivity, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
