rule ppi_colocalization:
    """Network closeness and centrality of each live node's top light-up genes in STRING (Fig. 5, 7),
    and the light-up diversity of every layer."""
    input:
        lightup=analysis_lightup("activations"),
        diversity=analysis_lightup("diversity"),
        links=config["network"]["links"],
        info=config["network"]["info"],
        checked=layout.check_file("network"),
    output:
        table=layout.table("{dataset}", "ppi_colocalization"),
        summary=layout.table("{dataset}", "ppi_summary"),
        diversity=layout.table("{dataset}", "lightup_diversity"),
    log:
        "logs/{dataset}/ppi_colocalization.log",
    benchmark:
        "benchmarks/out/{dataset}/ppi_colocalization.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        # all-pairs reciprocal distances: 4 bytes per gene pair (1.4 GB for 19,000 genes)
        mem_mb=4000,
        runtime=60,
    params:
        model=ANALYSIS,
        layers=layers(ANALYSIS),
        network=subset("network", ["min_score", "min_shared_genes"]),
        ppi=config["ppi"],
        seed=config["seed"],
    script:
        "../scripts/ppi_colocalization.py"


rule check_network:
    """STRING links and info: integrity, header, score range, edges kept, genes of each compendium named."""
    input:
        links=config["network"]["links"],
        info=config["network"]["info"],
        datasets=all_dataset_files(),
    output:
        layout.check_file("network"),
    log:
        "logs/checks/network.log",
    benchmark:
        "benchmarks/out/checks/network.tsv"
    priority: 100
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        network=config["network"],
        datasets=config["datasets"],
    script:
        "../scripts/check_network.py"
