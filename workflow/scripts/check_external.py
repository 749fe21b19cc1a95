"""Rule check_external: an external dataset's sample sheet, groups, samples and scale."""

from deepmodules.checks import check_external, write_report
from deepmodules.workflow import run


def main(smk):
    write_report(check_external(smk.wildcards.external, smk.params.spec), smk.output[0])


run(main, snakemake)  # noqa: F821
