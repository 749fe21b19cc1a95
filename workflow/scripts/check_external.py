"""Rule check_external: an external dataset's sample sheet or series, groups, samples and scale."""

from deepmodules.data.checks import check_external, write_report
from deepmodules.workflow import run


def main(smk):
    rows = check_external(smk.wildcards.external, smk.params.spec, smk.params.dataset)
    write_report(rows, smk.output[0])


run(main, snakemake)  # noqa: F821
