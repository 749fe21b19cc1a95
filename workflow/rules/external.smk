rule external_dataset:
    """Your own disease data: encode with the compendium's autoencoder (or a bundle's), reverse-train,
    test modules; the naive baseline's module beside them."""
    input:
        unpack(external_reference),
        files=lambda wc: external_files(wc.external),
        network=external_network,
        gwas=layout.gwas_file("genes"),
        features=layout.gwas_file("features"),
        checked=layout.check_file("external/{external}_scale"),
    output:
        table=report(
            layout.external_file("{dataset}", "{external}", "gwas_enrichment"),
            caption="../report/external.rst",
            category="Your own disease data",
            subcategory="{external}",
        ),
        modules=directory(layout.external_file("{dataset}", "{external}", "modules")),
    log:
        "logs/{dataset}/external/{external}.log",
    benchmark:
        "benchmarks/out/{dataset}/external/{external}.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=120,
    params:
        spec=lambda wc: config["external"][wc.external],
        dataset=external_compendium,
        model=ANALYSIS,
        naive_hidden=config["reverse_training"]["naive_hidden"],
        settings=subset("reverse_training", NAIVE_KEYS),
        size=config["modules"]["size"],
        gwas=subset("gwas", GWAS_ENRICHMENT_KEYS),
        seed=config["seed"],
    script:
        "../scripts/external_dataset.py"


rule series_groups:
    """The samples of a GEO series (in an ARCHS4 file, or a series matrix): title, source,
    characteristics and the group the rule gives."""
    input:
        lambda wc: external_files(wc.external),
    output:
        layout.series_groups_file("{external}"),
    log:
        "logs/series/{external}.log",
    benchmark:
        "benchmarks/out/series/{external}.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        spec=lambda wc: config["external"][wc.external],
        dataset=external_compendium,
    script:
        "../scripts/series_groups.py"


rule list_series_groups:
    """Print the samples of every grouped GEO series (`snakemake list_series_groups`), to write
    group_by."""
    input:
        [layout.series_groups_file(e) for e in grouped_series()],
    log:
        "logs/series/list_series_groups.log",
    benchmark:
        "benchmarks/out/series/list_series_groups.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=200,
        runtime=5,
    shell:
        "tail -n +1 {input} 2>&1 | tee {log}"


rule external_verdict:
    """Which of an external dataset's modules to believe, per reference group: held-out replication
    of every layer's module and the naive baseline's over half splits of its cases and that group,
    and the verdict (deepmodules.validate.verdict.external_verdict)."""
    input:
        unpack(external_reference),
        files=lambda wc: external_files(wc.external),
        network=external_network,
        gwas=layout.external_file("{dataset}", "{external}", "gwas_enrichment"),
    output:
        report(
            layout.external_file("{dataset}", "{external}", "verdict"),
            caption="../report/external_verdict.rst",
            category="Your own disease data",
            subcategory="{external}",
        ),
    log:
        "logs/{dataset}/external/{external}_verdict.log",
    benchmark:
        "benchmarks/out/{dataset}/external/{external}_verdict.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=240,
    params:
        spec=lambda wc: config["external"][wc.external],
        dataset=external_compendium,
        model=ANALYSIS,
        naive_hidden=config["reverse_training"]["naive_hidden"],
        settings=subset("reverse_training", NAIVE_KEYS),
        size=config["modules"]["size"],
        verdict=config["verdict"],
        seed=config["seed"],
    script:
        "../scripts/external_verdict.py"
