rule normalize:
    """Read, check and min-max normalize one compendium; fixed-seed train/test split."""
    input:
        matrix=lambda wc: config["datasets"][wc.dataset]["matrix"],
        annotation=lambda wc: config["datasets"][wc.dataset]["annotation"] or [],
    output:
        expression="results/{dataset}/normalized/expression.npy",
        genes="results/{dataset}/normalized/genes.tsv",
        samples="results/{dataset}/normalized/samples.tsv",
    params:
        spec=lambda wc: config["datasets"][wc.dataset],
        diseases=config["diseases"],
        seed=config["seed"],
    log:
        "logs/{dataset}/normalize.log",
    benchmark:
        "benchmarks/out/{dataset}/normalize.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(2000, int(6 * input.size_mb)),
        runtime=120,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/normalize.py"
