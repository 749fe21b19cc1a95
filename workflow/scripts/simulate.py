"""Rule simulate: write the embedded demo compendium and its ground truth."""

from pathlib import Path

from deepmodules.simulate import PAPER_PARAMS, simulate
from deepmodules.workflow import run


def main(smk):
    base = PAPER_PARAMS if smk.params.size == "paper" else {}
    simulate(Path(smk.params.outdir), {**base, **smk.params.params}, smk.params.seed)


run(main, snakemake)  # noqa: F821
