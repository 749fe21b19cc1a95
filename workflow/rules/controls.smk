rule controls_analysis:
    """Disease modules of each study against modules from the same study's control samples."""
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        network=layout.model_file("{dataset}", ANALYSIS, "network"),
        gwas=rules.gwas_genes.output.genes,
    output:
        table=report(
            layout.table("{dataset}", "controls_analysis"),
            caption="../report/controls.rst",
            category="Tables",
            subcategory="{dataset}",
        ),
        summary=report(
            layout.table("{dataset}", "controls_summary"),
            caption="../report/controls.rst",
            category="Tables",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/controls_analysis.log",
    benchmark:
        "benchmarks/out/{dataset}/controls_analysis.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, input: max(3000, int(2 * input_mb(input))),
        runtime=240,
    params:
        layer=config["controls"]["layer"],
        diseases=lambda wc: diseases_in(wc.dataset),
        settings=subset("reverse_training", REVERSE_TRAINING_KEYS),
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        size=config["modules"]["size"],
        min_gwas_genes=config["gwas"]["min_gwas_genes"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
    script:
        "../scripts/controls_analysis.py"
