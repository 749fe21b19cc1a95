rule reconstruction:
    """1 - R^2 of every trained model, globally and per gene, on the train and test splits (Fig. 2), its
    flat nodes per layer, and the reconstruction gate (training.min_median_r2)."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        networks=lambda wc: [
            layout.model_file(wc.dataset, model, "network")
            for model in sweep_models(wc.dataset)
        ],
        activity=lambda wc: [
            layout.model_file(wc.dataset, model, "node_activity")
            for model in sweep_models(wc.dataset)
        ],
        summaries=lambda wc: [
            layout.model_file(wc.dataset, model, "training_summary")
            for model in sweep_models(wc.dataset)
        ],
    output:
        table=layout.table("{dataset}", "reconstruction"),
        genes=layout.table("{dataset}", "reconstruction_genes"),
    log:
        "logs/{dataset}/reconstruction.log",
    benchmark:
        "benchmarks/out/{dataset}/reconstruction.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=120,
    params:
        models=lambda wc: sweep_models(wc.dataset),
        min_median_r2=config["training"]["min_median_r2"],
        flat_sd=config["nodes"]["flat_sd"],
    script:
        "../scripts/reconstruction.py"
