rule download:
    """Fetch one source file or gene-set collection, atomically, verified against its pinned SHA-256."""
    output:
        "resources/{path}",
    log:
        "logs/download/{path}.log",
    benchmark:
        "benchmarks/out/download/{path}.tsv"
    wildcard_constraints:
        path="|".join(re.escape(path) for path in DOWNLOADS) or "(?!)",
    retries: 2
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=600,
    params:
        url=lambda wc: DOWNLOADS[wc.path]["url"],
        sha256=lambda wc: DOWNLOADS[wc.path]["sha256"],
    script:
        "../scripts/download.py"
