# Gene-set collections of the supplementary robustness check; none skips the stage.
GENESETS = list(config["genesets"]["collections"])


rule download_geneset:
    """Fetch one gene-set collection (GMT), atomically, verified against its pinned SHA-256."""
    output:
        "resources/genesets/{collection}.gmt",
    log:
        "logs/download/genesets/{collection}.log",
    benchmark:
        "benchmarks/out/download/genesets/{collection}.tsv"
    wildcard_constraints:
        collection="|".join(re.escape(name) for name in GENESETS) or "(?!)",
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,
    params:
        url=lambda wc: config["genesets"]["collections"][wc.collection]["url"],
        sha256=lambda wc: config["genesets"]["collections"][wc.collection]["sha256"],
    script:
        "../scripts/download.py"


rule genesets:
    """Supplementary: each node's top light-up genes in KEGG, Reactome and GO against random genes."""
    input:
        rankings=expand(
            "results/{{dataset}}/lightup/{model}/{layer}.rankings.tsv.gz",
            model=ANALYSIS,
            layer=layers(ANALYSIS),
        ),
        genes=rules.normalize.output.genes,
        gmt=expand("resources/genesets/{collection}.gmt", collection=GENESETS),
    output:
        "results/{dataset}/genesets.tsv",
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
        genesets=config["genesets"],
        seed=config["seed"],
    script:
        "../scripts/genesets.py"


rule figure_genesets:
    """Supplementary: fraction of nodes annotated by each collection, per layer, against random."""
    input:
        expand("results/{dataset}/genesets.tsv", dataset=DATASETS),
    output:
        **figure_outputs("genesets", "supp_genesets"),
    log:
        "logs/figures/supp_genesets.log",
    benchmark:
        "benchmarks/out/figures/supp_genesets.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        datasets=DATASETS,
    script:
        "../scripts/figure_genesets.py"
