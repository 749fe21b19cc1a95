rule lightup:
    """Light-up of every node of one hidden layer: the output response of every gene (Eq. 1),
    and each node's gene ranking down to the largest PPI cutoff."""
    input:
        model="results/{dataset}/models/{model}/model.keras",
        genes=rules.normalize.output.genes,
    output:
        activations="results/{dataset}/lightup/{model}/{layer}.tsv.gz",
        rankings="results/{dataset}/lightup/{model}/{layer}.rankings.tsv.gz",
    log:
        "logs/{dataset}/lightup/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/lightup/{model}/{layer}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        max_activation=config["lightup"]["max_activation"],
        top=max(config["ppi"]["ks"]),
    script:
        "../scripts/lightup.py"
