# The reverse-training settings that shape a disease module (naive_hidden only names the baseline).
REVERSE_TRAINING_KEYS = ["seeds", "epochs", "batch_size", "learning_rate", "score"]


rule reverse_training:
    """Reverse-train phenotype -> layer representation, stack on the decoder, score genes per disease."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        genes=rules.normalize.output.genes,
        network=rules.train.output.network,
    output:
        [
            layout.module_file("{dataset}", "{model}", "{layer}", disease)
            for disease in DISEASES
        ],
    log:
        "logs/{dataset}/reverse_training/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/reverse_training/{model}/{layer}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
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
            layout.module_file("{dataset}", "naive{width}", "h1", disease)
            for disease in DISEASES
        ],
    log:
        "logs/{dataset}/reverse_training/naive{width}.log",
    benchmark:
        "benchmarks/out/{dataset}/reverse_training/naive{width}.tsv"
    wildcard_constraints:
        width=r"\d+",
    conda:
        "../../envs/tensorflow.yaml"
    threads: epochs.threads(config["reverse_training"]["naive_hidden"], 2)
    resources:
        mem_mb=lambda wc, input: max(3000, int(1.5 * input_mb(input))),
        runtime=240,
    params:
        diseases=config["diseases"],
        analysed=lambda wc: list(diseases_in(wc.dataset)),
        settings=subset("reverse_training", REVERSE_TRAINING_KEYS),
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
    script:
        "../scripts/reverse_training.py"


rule modules_gmt:
    """Every disease module as a gene set, for other enrichment tools."""
    input:
        unpack(module_inputs),
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
