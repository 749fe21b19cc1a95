rule reconstruction:
    """1 - R^2 of every trained model, globally and per gene, on the train and test splits (Fig. 2)."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        models=expand(
            "results/{{dataset}}/models/{model}/model.keras", model=MODELS["sweep"]
        ),
    output:
        table="results/{dataset}/reconstruction.tsv",
        genes="results/{dataset}/reconstruction_genes.tsv.gz",
    log:
        "logs/{dataset}/reconstruction.log",
    benchmark:
        "benchmarks/out/{dataset}/reconstruction.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=120,
    params:
        models=MODELS["sweep"],
    script:
        "../scripts/reconstruction.py"
