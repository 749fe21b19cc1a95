"""Rule simulate: write the embedded demo compendium and its ground truth."""

from pathlib import Path

from deepmodules.simulate import PAPER_PARAMS, simulate
from deepmodules.workflow import run


def main(smk):
    base = PAPER_PARAMS if smk.params.size == "paper" else {}
    params = {**base, **smk.params.params}
    simulate(Path(smk.params.outdir), params, smk.params.seed, smk.params.regime)


run(main, snakemake)  # noqa: F821
