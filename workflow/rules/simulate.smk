rule simulate:
    """The embedded demo: a simulated compendium with planted ground truth in the sources' formats."""
    output:
        [f"{config['simulate']['outdir']}/{name}" for name in OUTPUT_FILES],
    params:
        outdir=config["simulate"]["outdir"],
        params=config["simulate"]["params"],
        seed=config["seed"],
    log:
        "logs/simulate.log",
    benchmark:
        "benchmarks/out/simulate.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/simulate.py"
