"""Rule gwas_genes: disease SNPs from the GWAS source, each mapped to its closest gene."""

import logging

from deepmodules import gwas
from deepmodules.workflow import run


def main(smk):
    cfg = smk.params.gwas
    diseases = {**smk.params.diseases, **smk.params.external}
    gwas.check_build(cfg["snp_build"], cfg["refgene_build"], "config: gwas.snp_build")
    if cfg["source"] == "disgenet":
        terms = {d: spec.get("disgenet_terms", []) for d, spec in diseases.items()}
        snps = gwas.read_disgenet(smk.input.associations, terms)
    else:
        snps = gwas.read_gwas_catalog(
            smk.input.associations, {d: spec["gwas_terms"] for d, spec in diseases.items()}
        )
    genes = gwas.read_refgene(smk.input.refgene)
    mapped, stats = gwas.closest_genes(snps, genes, source=smk.input.associations)
    logging.info(
        "%d disease SNPs, %d mapped to a gene, %d on chromosomes without genes",
        stats.n_snps,
        stats.n_mapped,
        stats.n_no_gene_chrom,
    )
    mapped.to_csv(smk.output[0], sep="\t", index=False)


run(main, snakemake)  # noqa: F821
