"""Rule check_dataset: one compendium's matrix head, gene ids, annotation and disease labels."""

from deepmodules.data.checks import check_dataset, write_report
from deepmodules.workflow import run


def main(smk):
    rows = check_dataset(
        smk.wildcards.dataset, smk.params.spec, smk.params.diseases, smk.params.seed
    )
    write_report(rows, smk.output[0])


run(main, snakemake)  # noqa: F821
