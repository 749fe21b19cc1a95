"""Rule gwas_genes: disease SNPs in loci, mapped to genes (closest gene and gene window), a summary
per disease and mapping, and the gene lengths and densities of the matched null."""

from deepmodules.data import gwas_sources
from deepmodules.validate import gwas
from deepmodules.workflow import run


def main(smk):
    cfg, source = smk.params.gwas, smk.input.associations
    gwas_sources.check_build(cfg["snp_build"], cfg["refgene_build"], "config: gwas.snp_build")
    snps = gwas_sources.read_associations(cfg["source"], source, smk.params.terms)
    snps = gwas.assign_loci(snps, cfg["locus_kb"])
    genes = gwas_sources.read_refgene(smk.input.refgene, noncoding=cfg["noncoding_genes"])
    mapped, summary = gwas.map_every_mapping(
        snps, genes, smk.params.terms, cfg["window_kb"], cfg["mapping"], source
    )
    mapped[mapped["mapping"] == cfg["mapping"]].to_csv(smk.output.genes, sep="\t", index=False)
    mapped.to_csv(smk.output.mappings, sep="\t", index=False)
    features = gwas.gene_features(genes, cfg["null_density_kb"])
    features.to_csv(smk.output.features, sep="\t", index=False)
    summary.to_csv(smk.output.summary, sep="\t", index=False)


run(main, snakemake)  # noqa: F821
