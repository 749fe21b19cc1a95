rule simulate:
    """The embedded demo: a simulated compendium with planted ground truth in the sources' formats."""
    output:
        simulated_paths(),
    log:
        "logs/simulate.log",
    benchmark:
        "benchmarks/out/simulate.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        outdir=lambda wc, output: os.path.dirname(output[-1]),
        size=config["simulate"]["size"],
        regime=config["simulate"]["regime"],
        params=config["simulate"]["params"],
        seed=config["seed"],
    script:
        "../scripts/simulate.py"
