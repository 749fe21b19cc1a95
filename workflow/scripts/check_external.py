"""Rule check_external: an external dataset's sample sheet or series, groups, samples and scale."""

from deepmodules.data.checks import check_external, write_report
from deepmodules.workflow import analysed_with, run


def main(smk):
    _, dataset = analysed_with(smk)
    rows = check_external(smk.wildcards.external, smk.params.spec, dataset)
    write_report(rows, smk.output[0])


run(main, snakemake)  # noqa: F821
