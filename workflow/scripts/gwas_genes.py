"""Rule gwas_genes: disease SNPs in loci, mapped to genes (closest gene and gene window), a summary
per disease and mapping, and the gene lengths and densities of the matched null."""

import logging

import pandas as pd

from deepmodules.validate import gwas, gwas_inputs
from deepmodules.workflow import run


def main(smk):
    cfg = smk.params.gwas
    diseases = smk.params.terms
    gwas_inputs.check_build(cfg["snp_build"], cfg["refgene_build"], "config: gwas.snp_build")
    if cfg["source"] == "disgenet":
        terms = {d: spec.get("disgenet_terms", []) for d, spec in diseases.items()}
        snps = gwas_inputs.read_disgenet(smk.input.associations, terms)
    else:
        snps = gwas_inputs.read_gwas_catalog(
            smk.input.associations, {d: spec["gwas_terms"] for d, spec in diseases.items()}
        )
    snps = gwas.assign_loci(snps, cfg["locus_kb"])
    genes = gwas_inputs.read_refgene(smk.input.refgene, noncoding=cfg["noncoding_genes"])
    tables, summaries = [], []
    for mapping in gwas.MAPPINGS:
        mapped, stats = gwas.map_snps(
            snps, genes, mapping, cfg["window_kb"], source=smk.input.associations
        )
        logging.info(
            "%s: %d disease SNPs, %d mapped to a gene, %d on chromosomes without genes, "
            "%d beyond every gene's window",
            mapping,
            stats.n_snps,
            stats.n_mapped,
            stats.n_no_gene_chrom,
            stats.n_beyond_window,
        )
        summary = gwas.gwas_summary(snps, mapped, diseases, mapping)
        if mapping == cfg["mapping"]:
            for row in summary[summary["note"] != ""].itertuples():
                logging.warning(
                    "%s: no GWAS gene (%s); its gene set is empty", row.disease, row.note
                )
        tables.append(mapped.assign(mapping=mapping))
        summaries.append(summary)
    mapped = pd.concat(tables, ignore_index=True)
    mapped[mapped["mapping"] == cfg["mapping"]].to_csv(smk.output.genes, sep="\t", index=False)
    mapped.to_csv(smk.output.mappings, sep="\t", index=False)
    gwas.gene_features(genes, cfg["null_density_kb"]).to_csv(
        smk.output.features, sep="\t", index=False
    )
    pd.concat(summaries, ignore_index=True).to_csv(smk.output.summary, sep="\t", index=False)


run(main, snakemake)  # noqa: F821
