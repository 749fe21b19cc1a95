"""Rule check_gwas: the GWAS associations of every disease, the genome builds and refGene."""

from deepmodules.data.checks import check_gwas, head_genes, write_report
from deepmodules.workflow import run


def main(smk):
    genes = {name: head_genes(spec) for name, spec in smk.params.datasets.items()}
    write_report(check_gwas(smk.params.gwas, smk.params.terms, genes), smk.output[0])


run(main, snakemake)  # noqa: F821
