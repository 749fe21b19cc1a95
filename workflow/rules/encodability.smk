# (model, layer) pairs of module_models() that are autoencoders (not the naive baseline), and their models.
AUTOENCODER_PAIRS = [
    pair for pair in module_models() if not pair[0].startswith("naive")
]
AUTOENCODERS = list(dict.fromkeys(model for model, _ in AUTOENCODER_PAIRS))


rule encodability:
    """Correlation over genes of each disease's case-control contrast with the contrast decoded from
    each hidden layer's mean codes; flags the layers that drop a disease's signal."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        networks=[
            layout.model_file("{dataset}", model, "network") for model in AUTOENCODERS
        ],
    output:
        table=layout.table("{dataset}", "encodability"),
    log:
        "logs/{dataset}/encodability.log",
    benchmark:
        "benchmarks/out/{dataset}/encodability.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=30,
    params:
        models=AUTOENCODERS,
        pairs=AUTOENCODER_PAIRS,
        diseases=lambda wc: diseases_in(wc.dataset),
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        min_r=config["encodability"]["min_r"],
    script:
        "../scripts/encodability.py"
