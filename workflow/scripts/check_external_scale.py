"""Rule check_external_scale: an external dataset on its compendium's scale, before any training."""

from deepmodules.data.checks import check_external_scale, write_report
from deepmodules.workflow import analysed_with, run


def main(smk):
    _, dataset = analysed_with(smk)
    rows = check_external_scale(
        smk.wildcards.external, smk.params.spec, dataset, smk.input.genes, smk.input.scale
    )
    write_report(rows, smk.output[0])


run(main, snakemake)  # noqa: F821
