"""Rule external_dataset: modules of an external disease dataset (a matrix and sample sheet, or a GEO
series of an ARCHS4 file) and their GWAS enrichment."""

import logging
import re
from pathlib import Path

import pandas as pd

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model.network import load_layers
from deepmodules.modules.external import to_compendium
from deepmodules.modules.reverse_training import contrast_module, reverse_train
from deepmodules.validate.enrichment import gwas_test
from deepmodules.validate.gwas import gwas_gene_sets
from deepmodules.workflow import run


def slug(text):
    """A file-name-safe version of a group label."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def main(smk):
    spec, settings = smk.params.spec, smk.params.settings
    reference = compendium.load(layout.normalized_folder(smk.input.genes))
    sheet, x = to_compendium(smk.wildcards.external, spec, smk.params.dataset, reference)
    layers = load_layers(smk.input.network)
    universe = set(reference.genes)
    gwas = gwas_gene_sets(pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False))
    gwas_genes = gwas.get(smk.wildcards.external, set())
    rows = []
    for layer in smk.params.layers:
        z, phenotypes = reverse_train(x, sheet["group"], settings, layers, layer)
        for group in spec["references"]:
            module = contrast_module(
                z,
                phenotypes,
                spec["case"],
                group,
                settings["score"],
                reference.genes,
                reference.gene_range.span,
            )
            path = Path(smk.output.modules) / layer / f"vs_{slug(group)}.tsv"
            path.parent.mkdir(parents=True, exist_ok=True)
            module.to_csv(path, sep="\t", index=False, float_format="%.6g")
            top = module.nsmallest(smk.params.size, "rank")["gene"]
            result = gwas_test(top, gwas_genes, universe, smk.params.min_gwas_genes)
            rows.append({"layer": layer, "case": spec["case"], "reference": group, **result})
            logging.info(
                "%s vs %s at %s: %s, p = %.3g",
                spec["case"],
                group,
                layer,
                result["status"],
                result["p_value"],
            )
    pd.DataFrame(rows).to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
