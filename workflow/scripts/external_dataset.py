"""Rule external_dataset: modules of an external disease dataset (a matrix and sample sheet, or a GEO
series of an ARCHS4 file) and their GWAS enrichment."""

import logging

import pandas as pd

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.data.external import to_compendium
from deepmodules.model.network import load_layers
from deepmodules.modules.external import external_modules
from deepmodules.validate.enrichment import gwas_test
from deepmodules.validate.gwas import gwas_gene_sets
from deepmodules.workflow import run


def main(smk):
    spec = smk.params.spec
    reference = compendium.load(layout.normalized_folder(smk.input.genes))
    sheet, x = to_compendium(smk.wildcards.external, spec, smk.params.dataset, reference)
    layers = load_layers(smk.input.network)
    modules = external_modules(
        sheet, x, spec, layers, smk.params.layers, smk.params.settings, reference
    )
    gwas = gwas_gene_sets(pd.read_csv(smk.input.gwas, sep="\t", keep_default_na=False))
    rows = []
    for (layer, group), module in modules.items():
        path = layout.external_module_file(smk.output.modules, layer, group)
        path.parent.mkdir(parents=True, exist_ok=True)
        module.to_csv(path, sep="\t", index=False, float_format="%.6g")
        top = module.nsmallest(smk.params.size, "rank")["gene"]
        result = gwas_test(
            top,
            gwas.get(smk.wildcards.external, set()),
            set(reference.genes),
            smk.params.min_gwas_genes,
        )
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
