# Every input is read (its head, or whole where cheap) before any long job: the first heavy rule of
# each input (normalize, ppi_colocalization, gwas_genes, external_dataset) takes its check's report
# as input, and the checks run first (priority). Each check takes only the config its inputs need.
# The checks of the compendium's stages sit beside them (check_compendium in normalize.smk,
# check_network in ppi.smk), and that of a bundle in bundle.smk.


rule check_dataset:
    """Matrix head, gene ids, annotation columns, sample names and disease labels of one compendium."""
    input:
        lambda wc: dataset_files(wc.dataset),
    output:
        layout.check_file("{dataset}"),
    log:
        "logs/checks/{dataset}.log",
    benchmark:
        "benchmarks/out/checks/{dataset}.tsv"
    priority: 100
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        # the compendium as normalize takes it: its samples are drawn with the seed
        spec=lambda wc: compendium_spec(config, wc.dataset),
        diseases=lambda wc: diseases_in(wc.dataset),
        seed=config["seed"],
    script:
        "../scripts/check_dataset.py"


rule check_gwas:
    """GWAS associations of every disease, the genome builds, refGene and the genes it places."""
    input:
        associations=config["gwas"][config["gwas"]["source"]],
        refgene=config["gwas"]["refgene"],
        datasets=all_dataset_files(),
    output:
        layout.check_file("gwas"),
    log:
        "logs/checks/gwas.log",
    benchmark:
        "benchmarks/out/checks/gwas.tsv"
    priority: 100
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        # the files, builds and gene filter the mapping reads, not the enrichment settings
        gwas=subset(
            "gwas",
            [
                "source",
                config["gwas"]["source"],
                "refgene",
                "snp_build",
                "refgene_build",
                "noncoding_genes",
            ],
        ),
        terms=gwas_terms(),
        datasets=config["datasets"],
    script:
        "../scripts/check_gwas.py"


rule check_external:
    """An external dataset's sample sheet or series, groups, samples in the matrix and scale."""
    input:
        unpack(bundle_provenance),
        files=lambda wc: external_files(wc.external),
    output:
        layout.check_file("external/{external}"),
    log:
        "logs/checks/external/{external}.log",
    benchmark:
        "benchmarks/out/checks/external/{external}.tsv"
    priority: 100
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
        "../scripts/check_external.py"


rule check_external_scale:
    """An external dataset read and scaled as external_dataset will, once its compendium is normalized:
    shared genes, values within the compendium's ranges (before any training, by priority).
    """
    input:
        unpack(external_reference),
        files=lambda wc: external_files(wc.external),
        checked=layout.check_file("external/{external}"),
    output:
        layout.check_file("external/{external}_scale"),
    log:
        "logs/checks/external/{external}_scale.log",
    benchmark:
        "benchmarks/out/checks/external/{external}_scale.tsv"
    priority: 100
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
        "../scripts/check_external_scale.py"


rule check_inputs:
    """Every input checked, in one report (`snakemake check_inputs` checks the inputs alone)."""
    input:
        [layout.check_file(d) for d in DATASETS],
        layout.check_file("bundle_reference" if BUNDLE else "network"),
        layout.check_file("gwas"),
        [layout.check_file(f"external/{e}") for e in config["external"]],
    output:
        layout.check_file("inputs"),
    log:
        "logs/checks/inputs.log",
    benchmark:
        "benchmarks/out/checks/inputs.tsv"
    priority: 100
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/check_inputs.py"
