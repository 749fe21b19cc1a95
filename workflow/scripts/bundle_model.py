"""Rule bundle_model: one trained model, its compendium's scale and its annotations, handed on."""

from deepmodules import bundle
from deepmodules.workflow import run


def main(smk):
    tables = {
        key.removeprefix("table_"): smk.input[key]
        for key in smk.input.keys()
        if key.startswith("table_")
    }
    origin = bundle.provenance(
        smk.wildcards.dataset,
        smk.params.spec,
        smk.params.training,
        smk.params.seed,
        list(smk.input.sources),
        smk.input.samples,
    )
    # each carried file is the rule's input named for its stem (network.npz: input network)
    files = {name: smk.input[name.split(".")[0]] for name in bundle.CARRIED}
    rankings = dict(zip(smk.params.layers, smk.input.rankings, strict=True))
    bundle.write_bundle(smk.output.folder, smk.params.model, files, rankings, tables, origin)
    bundle.write_archive(smk.output.folder, smk.output.archive)


run(main, snakemake)  # noqa: F821
