rule lightup:
    """Light-up of every live node of one hidden layer: each gene's change from the baseline code's
    output (or the paper's output activation, Eq. 1), each node's gene ranking down to the largest PPI
    cutoff, and how distinct the nodes' top-k gene sets are."""
    input:
        network=rules.train.output.network,
        genes=rules.normalize.output.genes,
        activity=rules.train.output.node_activity,
    output:
        **{
            kind: layout.lightup_file("{dataset}", "{model}", "{layer}", kind)
            for kind in layout.LIGHTUP_FILES
        },
    log:
        "logs/{dataset}/lightup/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/lightup/{model}/{layer}.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        lightup=config["lightup"],
        k=config["lightup"]["diversity_k"],
        top=config["lightup"]["ranked_genes"],
        flat_sd=config["nodes"]["flat_sd"],
    script:
        "../scripts/lightup.py"
