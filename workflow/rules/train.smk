rule train:
    """Train one autoencoder of the sweep on the training split."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
    output:
        model="results/{dataset}/models/{model}/model.keras",
        history="results/{dataset}/models/{model}/history.tsv",
    params:
        training=config["training"],
        seed=config["seed"],
    log:
        "logs/{dataset}/train/{model}.log",
    benchmark:
        "benchmarks/out/{dataset}/train/{model}.tsv"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(2.5 * input.size_mb)),
        runtime=1440,
        gpu=config["training"]["gpus"],
    conda:
        "../../envs/tensorflow.yaml"
    script:
        "../scripts/train.py"
