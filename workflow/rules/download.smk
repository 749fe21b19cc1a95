rule download:
    """Fetch one source file, atomically, verified against its pinned SHA-256."""
    output:
        "resources/downloads/{file}",
    log:
        "logs/download/{file}.log",
    benchmark:
        "benchmarks/out/download/{file}.tsv"
    wildcard_constraints:
        file="|".join(re.escape(name) for name in config["downloads"]) or "(?!)",
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=600,
    params:
        url=lambda wc: config["downloads"][wc.file]["url"],
        sha256=lambda wc: config["downloads"][wc.file]["sha256"],
    script:
        "../scripts/download.py"
