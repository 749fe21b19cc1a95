rule gwas_genes:
    """Map each disease's GWAS SNPs to their closest gene with bedtools; summarize each disease's set."""
    input:
        associations=config["gwas"][config["gwas"]["source"]],
        refgene=config["gwas"]["refgene"],
        checked="results/checks/gwas.tsv",
    output:
        genes="results/gwas/gwas_genes.tsv",
        summary="results/gwas/gwas_summary.tsv",
    log:
        "logs/gwas/gwas_genes.log",
    benchmark:
        "benchmarks/out/gwas/gwas_genes.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        gwas=config["gwas"],
        diseases=config["diseases"],
        external=config["external"],
    script:
        "../scripts/gwas_genes.py"


rule gwas_enrichment:
    """Fisher exact test of every disease module against the disease's GWAS genes (Fig. 3, 6)."""
    input:
        modules=lambda wc: module_files(wc.dataset),
        gwas=rules.gwas_genes.output,
        genes=rules.normalize.output.genes,
        encodability=rules.encodability.output.table,
    output:
        table="results/{dataset}/gwas_enrichment.tsv",
        combined="results/{dataset}/gwas_combined.tsv",
    log:
        "logs/{dataset}/gwas_enrichment.log",
    benchmark:
        "benchmarks/out/{dataset}/gwas_enrichment.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        pairs=module_models(),
        diseases=DISEASES,
        size=config["modules"]["size"],
        min_gwas_genes=config["gwas"]["min_gwas_genes"],
    script:
        "../scripts/gwas_enrichment.py"
