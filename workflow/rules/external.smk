rule external_dataset:
    """Your own disease data: encode with the compendium's autoencoder, reverse-train, test modules."""
    input:
        matrix=lambda wc: config["external"][wc.external]["matrix"],
        samples=lambda wc: config["external"][wc.external]["samples"],
        genes=rules.normalize.output.genes,
        scale=rules.normalize.output.scale,
        model=layout.model_file("{dataset}", ANALYSIS, "model"),
        gwas=rules.gwas_genes.output.genes,
        checked="results/checks/external/{external}.tsv",
    output:
        table=report(
            "results/{dataset}/external/{external}/gwas_enrichment.tsv",
            caption="../report/external.rst",
            category="Your own disease data",
            subcategory="{external}",
        ),
        modules=directory("results/{dataset}/external/{external}/modules"),
    log:
        "logs/{dataset}/external/{external}.log",
    benchmark:
        "benchmarks/out/{dataset}/external/{external}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=120,
    params:
        spec=lambda wc: config["external"][wc.external],
        layers=layers(ANALYSIS),
        settings=subset("reverse_training", REVERSE_TRAINING_KEYS),
        size=config["modules"]["size"],
        min_gwas_genes=config["gwas"]["min_gwas_genes"],
    script:
        "../scripts/external_dataset.py"
