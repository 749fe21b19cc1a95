"""Rule gwas_genes: disease SNPs mapped to their closest gene, and a summary per disease."""

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
    genes = gwas.read_refgene(smk.input.refgene, noncoding=cfg["noncoding_genes"])
    mapped, stats = gwas.closest_genes(snps, genes, source=smk.input.associations)
    logging.info(
        "%d disease SNPs, %d mapped to a gene, %d on chromosomes without genes",
        stats.n_snps,
        stats.n_mapped,
        stats.n_no_gene_chrom,
    )
    summary = gwas.gwas_summary(snps, mapped, diseases)
    for row in summary[summary["note"] != ""].itertuples():
        logging.warning("%s: no GWAS gene (%s); its gene set is empty", row.disease, row.note)
    mapped.to_csv(smk.output.genes, sep="\t", index=False)
    summary.to_csv(smk.output.summary, sep="\t", index=False)


run(main, snakemake)  # noqa: F821
