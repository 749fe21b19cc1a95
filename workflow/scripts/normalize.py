"""Rule normalize: check, normalize and split one compendium."""

from pathlib import Path

from deepmodules.compendium import prepare
from deepmodules.workflow import run


def main(smk):
    prepare(
        smk.params.spec, smk.params.diseases, smk.params.seed, Path(smk.output.expression).parent
    )


run(main, snakemake)  # noqa: F821
