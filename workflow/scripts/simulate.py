"""Rule simulate: write the embedded demo compendium and its ground truth."""

from pathlib import Path

from deepmodules.simulate import simulate
from deepmodules.workflow import run


def main(smk):
    simulate(Path(smk.params.outdir), smk.params.params, smk.params.seed)


run(main, snakemake)  # noqa: F821
