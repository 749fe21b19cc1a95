rule silhouette:
    """Silhouette of cell types, diseases and studies in 2-PC projections of each layer's live nodes vs gene space (Fig. 4)."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        network=layout.model_file("{dataset}", ANALYSIS, "network"),
        node_activity=layout.model_file("{dataset}", ANALYSIS, "node_activity"),
    output:
        table=layout.table("{dataset}", "silhouette"),
        summary=layout.table("{dataset}", "silhouette_summary"),
    log:
        "logs/{dataset}/silhouette.log",
    benchmark:
        "benchmarks/out/{dataset}/silhouette.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(3 * input_mb(input))),
        runtime=60,
    params:
        layers=layers(ANALYSIS),
        clustering=config["clustering"],
        flat_sd=config["nodes"]["flat_sd"],
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
    script:
        "../scripts/silhouette.py"
