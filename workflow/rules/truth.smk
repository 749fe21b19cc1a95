rule truth_recovery:
    """Simulated compendium: precision, recall and AUROC of every module against the planted genes."""
    input:
        modules=lambda wc: module_files(wc.dataset),
        truth=truth_file() or [],
    output:
        report(
            "results/{dataset}/truth_recovery.tsv",
            caption="../report/truth_recovery.rst",
            category="Tables",
        ),
    log:
        "logs/{dataset}/truth_recovery.log",
    benchmark:
        "benchmarks/out/{dataset}/truth_recovery.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        models=module_models(),
        diseases=DISEASES,
        k=config["modules"]["size"],
        naive=next((m for m, _ in module_models() if m.startswith("naive")), None),
    script:
        "../scripts/truth_recovery.py"


rule figure_truth:
    """Supplementary: planted-gene recovery per model and layer, one panel per dataset."""
    input:
        expand("results/{dataset}/truth_recovery.tsv", dataset=DATASETS),
    output:
        **figure_outputs("truth_recovery", "supp_truth_recovery"),
    log:
        "logs/figures/supp_truth_recovery.log",
    benchmark:
        "benchmarks/out/figures/supp_truth_recovery.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        datasets=DATASETS,
    script:
        "../scripts/figure_truth.py"
