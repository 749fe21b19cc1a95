"""Rule check_compendium: the genes a normalized compendium kept, against STRING, before training."""

from deepmodules import layout
from deepmodules.data.checks import check_compendium, write_report
from deepmodules.workflow import run


def main(smk):
    folder = layout.normalized_folder(smk.input.genes)
    rows = check_compendium(
        smk.wildcards.dataset, smk.params.spec, folder, smk.input.info, smk.params.min_shared_genes
    )
    write_report(rows, smk.output[0])


run(main, snakemake)  # noqa: F821
