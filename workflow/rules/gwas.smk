rule gwas_genes:
    """Map each disease's GWAS SNPs to genes (closest gene and gene window) in loci; gene lengths."""
    input:
        associations=config["gwas"][config["gwas"]["source"]],
        refgene=config["gwas"]["refgene"],
        checked=layout.check_file("gwas"),
    output:
        genes=layout.gwas_file("genes"),
        mappings=layout.gwas_file("mappings"),
        features=layout.gwas_file("features"),
        summary=layout.gwas_file("summary"),
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
        gwas=subset("gwas", GWAS_MAPPING_KEYS),
        # the search terms of every disease, of the compendium and of the external datasets
        terms=gwas_terms(),
    script:
        "../scripts/gwas_genes.py"


rule gwas_enrichment:
    """Fisher exact test and matched null of every disease module against its GWAS genes (Fig. 3, 6)."""
    input:
        unpack(module_inputs),
        gwas=rules.gwas_genes.output.mappings,
        features=rules.gwas_genes.output.features,
        genes=normalized("genes"),
        encodability=layout.table("{dataset}", "encodability"),
        reconstruction=layout.table("{dataset}", "reconstruction"),
    output:
        table=layout.table("{dataset}", "gwas_enrichment"),
        combined=layout.table("{dataset}", "gwas_combined"),
        sensitivity=layout.table("{dataset}", "gwas_mapping_sensitivity"),
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
        size=config["modules"]["size"],
        gwas=subset("gwas", GWAS_ENRICHMENT_KEYS),
        seed=config["seed"],
    script:
        "../scripts/gwas_enrichment.py"
