rule normalize:
    """Read, check and min-max normalize one compendium; fixed-seed train/test split."""
    input:
        matrix=lambda wc: config["datasets"][wc.dataset]["matrix"],
        annotation=lambda wc: config["datasets"][wc.dataset]["annotation"] or [],
    output:
        expression="results/{dataset}/normalized/expression.npy",
        genes="results/{dataset}/normalized/genes.tsv",
        samples="results/{dataset}/normalized/samples.tsv",
        scale="results/{dataset}/normalized/scale.json",
    log:
        "logs/{dataset}/normalize.log",
    benchmark:
        "benchmarks/out/{dataset}/normalize.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(2000, int(6 * input.size_mb)),
        runtime=120,
    params:
        spec=lambda wc: config["datasets"][wc.dataset],
        diseases=config["diseases"],
        seed=config["seed"],
    script:
        "../scripts/normalize.py"
