rule figure_reconstruction:
    """Fig. 2: reconstruction error against width for shallow and deep models."""
    input:
        table=lambda wc: layout.table(figure_dataset(wc), "reconstruction"),
        genes=lambda wc: layout.table(figure_dataset(wc), "reconstruction_genes"),
    output:
        **figure_outputs("reconstruction"),
    log:
        "logs/figures/{figure}.log",
    benchmark:
        "benchmarks/out/figures/{figure}.tsv"
    wildcard_constraints:
        figure=figure_stems("reconstruction"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figure_reconstruction.py"


rule figure_gwas:
    """Fig. 3 and 6: -log10 P of GWAS enrichment per disease and layer, and the supplementary table."""
    input:
        unpack(gwas_figure_inputs),
    output:
        **figure_outputs("gwas"),
        table=report(
            layout.figure_file("{figure}_table", "tsv"),
            caption="../report/gwas_table.rst",
            category="Tables",
        ),
    log:
        "logs/figures/{figure}.log",
    benchmark:
        "benchmarks/out/figures/{figure}.tsv"
    wildcard_constraints:
        figure=figure_stems("gwas"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        model=ANALYSIS,
    script:
        "../scripts/figure_gwas.py"


rule figure_silhouette:
    """Fig. 4: layers against gene-space PCA in silhouette of cell types and diseases."""
    input:
        table=lambda wc: layout.table(figure_dataset(wc), "silhouette"),
        summary=lambda wc: layout.table(figure_dataset(wc), "silhouette_summary"),
    output:
        **figure_outputs("silhouette"),
    log:
        "logs/figures/{figure}.log",
    benchmark:
        "benchmarks/out/figures/{figure}.tsv"
    wildcard_constraints:
        figure=figure_stems("silhouette"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figure_silhouette.py"


rule figure_ppi:
    """Fig. 5 and 7: betweenness and harmonic distance of light-up gene sets against the null."""
    input:
        table=lambda wc: layout.table(figure_dataset(wc), "ppi_colocalization"),
        summary=lambda wc: layout.table(figure_dataset(wc), "ppi_summary"),
    output:
        **figure_outputs("ppi"),
    log:
        "logs/figures/{figure}.log",
    benchmark:
        "benchmarks/out/figures/{figure}.tsv"
    wildcard_constraints:
        figure=figure_stems("ppi"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figure_ppi.py"


rule figure_genesets:
    """Supplementary: fraction of nodes annotated by each collection, per layer, against random."""
    input:
        [layout.table(d, "genesets") for d in DATASETS],
    output:
        **figure_outputs("genesets", "supp_genesets"),
    log:
        "logs/figures/supp_genesets.log",
    benchmark:
        "benchmarks/out/figures/supp_genesets.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        datasets=DATASETS,
    script:
        "../scripts/figure_genesets.py"


rule figure_truth:
    """Supplementary: planted-gene recovery per model and layer, one panel per dataset."""
    input:
        expand(
            layout.table("{dataset}", "truth_recovery"),
            dataset=[dataset for dataset in DATASETS if diseases_in(dataset)],
        ),
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


rule fig2:
    input:
        figure_files("fig2"),


rule fig3:
    input:
        figure_files("fig3"),


rule fig4:
    input:
        figure_files("fig4"),


rule fig5:
    input:
        figure_files("fig5"),


rule fig6:
    input:
        figure_files("fig6"),


rule fig7:
    input:
        figure_files("fig7"),


rule fig_bundle:
    input:
        figure_files("fig_bundle"),


localrules:
    all,
    fig2,
    fig3,
    fig4,
    fig5,
    fig6,
    fig7,
    fig_bundle,
