"""Rule check_external_scale: an external dataset on its compendium's scale, before any training."""

from deepmodules import layout
from deepmodules.data.checks import check_external_scale, write_report
from deepmodules.workflow import run


def main(smk):
    folder = layout.normalized_folder(smk.input.genes)
    rows = check_external_scale(smk.wildcards.external, smk.params.spec, smk.params.dataset, folder)
    write_report(rows, smk.output[0])


run(main, snakemake)  # noqa: F821
