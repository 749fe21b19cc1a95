rule train:
    """Train one autoencoder of the sweep on the training split until early stopping, the epoch cap or
    the step floor ends it; training_summary.tsv says which.

    Besides model.keras it writes the trained layers as numpy arrays (network.npz, what every later rule
    reads, without loading Keras) and the mean and sd of every hidden node over the compendium's samples
    (node_activity.tsv; the rules that read it mark the nodes below nodes.flat_sd flat).

    The job checkpoints at the end of an epoch (at most every training.checkpoint_seconds) in results/{dataset}/models/{model}/checkpoint/ (not an output,
    so Snakemake keeps it when the job fails) and a rerun resumes from it; it is removed on success.
    """
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        checked=ancient(layout.check_file("{dataset}_compendium")),
    output:
        model=layout.model_file("{dataset}", "{model}", "model"),
        history=layout.model_file("{dataset}", "{model}", "history"),
        summary=layout.model_file("{dataset}", "{model}", "training_summary"),
        network=layout.model_file("{dataset}", "{model}", "network"),
        node_activity=layout.model_file("{dataset}", "{model}", "node_activity"),
    log:
        "logs/{dataset}/train/{model}.log",
    benchmark:
        "benchmarks/out/{dataset}/train/{model}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: model_threads
    resources:
        mem_mb=lambda wc, input: epochs.memory_mb(input_mb(input)),
        runtime=1440,
        gpu=config["training"]["gpus"],
    params:
        # every training setting that shapes the model: not the GPUs it runs on, how often it
        # checkpoints (read by the script from the config) or the reconstruction gate
        training=training_settings(),
        seed=config["seed"],
    script:
        "../scripts/train.py"
