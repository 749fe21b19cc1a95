rule reverse_training:
    """Reverse-train phenotype -> layer representation, stack on the decoder, score genes per disease,
    for one replicate autoencoder."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        genes=rules.normalize.output.genes,
        network=rules.train.output.network,
    output:
        [
            layout.replicate_module_file("{dataset}", "{model}", "{layer}", disease)
            for disease in DISEASES
        ],
    log:
        "logs/{dataset}/reverse_training/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/reverse_training/{model}/{layer}.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: model_threads
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=240,
    params:
        diseases=config["diseases"],
        analysed=lambda wc: list(diseases_in(wc.dataset)),
        settings=subset("reverse_training", REVERSE_TRAINING_KEYS),
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
        [
            layout.replicate_module_file("{dataset}", "naive{width}", "h1", disease)
            for disease in DISEASES
        ],
    log:
        "logs/{dataset}/reverse_training/naive{width}.log",
    benchmark:
        "benchmarks/out/{dataset}/reverse_training/naive{width}.tsv"
    wildcard_constraints:
        width=r"\d+",
    conda:
        "../../envs/analysis.yaml"
    threads: epochs.threads(config["reverse_training"]["naive_hidden"], 2)
    resources:
        mem_mb=lambda wc, input: max(3000, int(1.5 * input_mb(input))),
        runtime=240,
    params:
        diseases=config["diseases"],
        analysed=lambda wc: list(diseases_in(wc.dataset)),
        settings=subset("reverse_training", NAIVE_KEYS),
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
    script:
        "../scripts/reverse_training.py"


rule consensus_modules:
    """The module of every disease at one layer of an architecture: mean and sd of the gene scores over
    its replicate autoencoders and reverse-training seeds, each gene's stability over replicates and the
    module's mean pairwise Jaccard index (the naive baseline's single fit passes through).
    """
    input:
        unpack(replicate_module_inputs),
    output:
        [
            layout.module_file("{dataset}", "{model}", "{layer}", disease)
            for disease in DISEASES
        ],
    log:
        "logs/{dataset}/consensus_modules/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/consensus_modules/{model}/{layer}.tsv"
    wildcard_constraints:
        model=METHOD_PATTERN,
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        diseases=DISEASES,
        size=config["modules"]["size"],
        n_seeds=len(config["reverse_training"]["seeds"]),
    script:
        "../scripts/consensus_modules.py"


rule modules_gmt:
    """Every disease module as a gene set, for other enrichment tools, and per disease the consensus
    module: the recommended module's genes held by at least half of its replicates."""
    input:
        unpack(module_inputs),
        verdict=layout.table("{dataset}", "verdict"),
    output:
        report(
            layout.table("{dataset}", "modules_gmt"),
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
