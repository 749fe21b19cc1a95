rule truth_recovery:
    """Simulated compendium: precision, recall and AUROC of every module against the planted genes."""
    input:
        unpack(module_inputs),
        truth=truth_file() or [],
    output:
        report(
            layout.table("{dataset}", "truth_recovery"),
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
        k=config["modules"]["size"],
        naive=next((m for m, _ in module_models() if m.startswith("naive")), None),
    script:
        "../scripts/truth_recovery.py"
