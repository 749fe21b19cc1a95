rule bundle_model:
    """The analysed model of one dataset, handed on: weights, genes and the compendium's scale, light-up
    rankings, its rows of the result tables, provenance with input checksums, a model card and a
    SHA-256 manifest, and one archive of it (deepmodules.bundle)."""
    input:
        unpack(bundle_tables),
        network=layout.model_file("{dataset}", ANALYSIS, "network"),
        node_activity=layout.model_file("{dataset}", ANALYSIS, "node_activity"),
        training_summary=layout.model_file("{dataset}", ANALYSIS, "training_summary"),
        genes=normalized("genes"),
        scale=normalized("scale"),
        samples=normalized("samples"),
        rankings=analysis_lightup("rankings"),
        sources=lambda wc: dataset_files(wc.dataset),
    output:
        folder=directory(layout.bundle_dir("{dataset}", ANALYSIS)),
        archive=layout.bundle_archive("{dataset}", ANALYSIS),
    log:
        "logs/{dataset}/bundle.log",
    benchmark:
        "benchmarks/out/{dataset}/bundle.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        model=ANALYSIS,
        layers=layers(ANALYSIS),
        spec=lambda wc: compendium_spec(config, wc.dataset),
        training=training_settings(),
        seed=config["seed"],
    script:
        "../scripts/bundle_model.py"


rule bundle:
    """Every dataset's analysed model as a bundle (`snakemake bundle`)."""
    input:
        [layout.bundle_archive(dataset, ANALYSIS) for dataset in DATASETS],


rule unpack_bundle:
    """The bundle analysed against (config `bundle`): its manifest, format version and normalization
    reference checked, and the files the external datasets are analysed with written out
    (deepmodules.bundle.unpack); first, by priority."""
    input:
        BUNDLE or [],
    output:
        **{kind: layout.bundle_reference(kind) for kind in layout.BUNDLE_REFERENCE},
        report=layout.check_file("bundle_reference"),
    log:
        "logs/checks/bundle.log",
    benchmark:
        "benchmarks/out/checks/bundle.tsv"
    priority: 100
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/unpack_bundle.py"
