"""Rule normalize: check, normalize and split one compendium (its genes' coverage by STRING and refGene
is logged by the input checks, check_network and check_gwas)."""

from deepmodules import layout
from deepmodules.data.compendium import prepare
from deepmodules.workflow import run


def main(smk):
    prepare(
        smk.params.spec,
        smk.params.diseases,
        smk.params.seed,
        layout.normalized_folder(smk.output.expression),
    )


run(main, snakemake)  # noqa: F821
