# Gene-set collections of the supplementary robustness check; none skips the stage.
GENESETS = list(config["genesets"]["collections"])


rule genesets:
    """Supplementary: each node's top light-up genes in KEGG, Reactome and GO against random genes."""
    input:
        lightup=analysis_lightup("activations"),
        genes=rules.normalize.output.genes,
        gmt=expand("resources/genesets/{collection}.gmt", collection=GENESETS),
    output:
        layout.table("{dataset}", "genesets"),
    log:
        "logs/{dataset}/genesets.log",
    benchmark:
        "benchmarks/out/{dataset}/genesets.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        model=ANALYSIS,
        layers=layers(ANALYSIS),
        collections=GENESETS,
        genesets=subset("genesets", ["k", "min_size", "max_size", "alpha", "n_random"]),
        seed=config["seed"],
    script:
        "../scripts/genesets.py"
