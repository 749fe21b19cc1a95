rule reverse_training:
    """Reverse-train phenotype -> layer representation, stack on the decoder, score genes per disease."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        genes=rules.normalize.output.genes,
        model="results/{dataset}/models/{model}/model.keras",
    output:
        expand(
            "results/{{dataset}}/modules/{{model}}/{{layer}}/{disease}.tsv",
            disease=DISEASES,
        ),
    log:
        "logs/{dataset}/reverse_training/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/reverse_training/{model}/{layer}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=240,
    params:
        diseases=config["diseases"],
        settings=config["reverse_training"],
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
    script:
        "../scripts/reverse_training.py"


rule naive_baseline:
    """The naive baseline: the reverse network trained on gene expression directly."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        genes=rules.normalize.output.genes,
    output:
        expand(
            "results/{{dataset}}/modules/naive{{width}}/h1/{disease}.tsv",
            disease=DISEASES,
        ),
    log:
        "logs/{dataset}/reverse_training/naive{width}.log",
    benchmark:
        "benchmarks/out/{dataset}/reverse_training/naive{width}.tsv"
    wildcard_constraints:
        width=r"\d+",
    conda:
        "../../envs/tensorflow.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(1.5 * input_mb(input))),
        runtime=240,
    params:
        diseases=config["diseases"],
        settings=config["reverse_training"],
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
    script:
        "../scripts/reverse_training.py"


rule modules_gmt:
    """Every disease module as a gene set, for other enrichment tools."""
    input:
        lambda wc: module_files(wc.dataset),
    output:
        report(
            "results/{dataset}/modules.gmt",
            caption="../report/modules.rst",
            category="Disease modules",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/modules_gmt.log",
    benchmark:
        "benchmarks/out/{dataset}/modules_gmt.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        size=config["modules"]["size"],
    script:
        "../scripts/modules_gmt.py"


rule controls_analysis:
    """Disease modules of each study against modules from the same study's control samples."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        model=f"results/{{dataset}}/models/{ANALYSIS}/model.keras",
        gwas="results/gwas/gwas_genes.tsv",
    output:
        table=report(
            "results/{dataset}/controls_analysis.tsv",
            caption="../report/controls.rst",
            category="Tables",
            subcategory="{dataset}",
        ),
        summary=report(
            "results/{dataset}/controls_summary.tsv",
            caption="../report/controls.rst",
            category="Tables",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/controls_analysis.log",
    benchmark:
        "benchmarks/out/{dataset}/controls_analysis.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=240,
    params:
        layer=config["controls"]["layer"],
        diseases=config["diseases"],
        settings=config["reverse_training"],
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        size=config["modules"]["size"],
        min_gwas_genes=config["gwas"]["min_gwas_genes"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
    script:
        "../scripts/controls_analysis.py"


rule external_dataset:
    """Your own disease data: encode with the compendium's autoencoder, reverse-train, test modules."""
    input:
        matrix=lambda wc: config["external"][wc.external]["matrix"],
        samples=lambda wc: config["external"][wc.external]["samples"],
        genes=rules.normalize.output.genes,
        scale=rules.normalize.output.scale,
        model=f"results/{{dataset}}/models/{ANALYSIS}/model.keras",
        gwas="results/gwas/gwas_genes.tsv",
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
        settings=config["reverse_training"],
        size=config["modules"]["size"],
        min_gwas_genes=config["gwas"]["min_gwas_genes"],
    script:
        "../scripts/external_dataset.py"
