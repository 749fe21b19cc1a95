"""Rule check_network: STRING links and info, the edges kept, and the genes of each compendium named."""

from deepmodules.data.checks import check_network, head_genes, write_report
from deepmodules.workflow import run


def main(smk):
    genes = {name: head_genes(spec) for name, spec in smk.params.datasets.items()}
    write_report(check_network(smk.params.network, genes), smk.output[0])


run(main, snakemake)  # noqa: F821
