"""Rule bundle_model: one trained model, its compendium's scale and its annotations, handed on."""

from deepmodules import bundle
from deepmodules.workflow import run

# bundle file name -> the rule's input holding it
FILES = {
    "network.npz": "network",
    "node_activity.tsv": "node_activity",
    "training_summary.tsv": "training_summary",
    "genes.tsv": "genes",
    "scale.json": "scale",
}


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
    files = {name: smk.input[key] for name, key in FILES.items()}
    rankings = dict(zip(smk.params.layers, smk.input.rankings, strict=True))
    bundle.write_bundle(smk.output.folder, smk.params.model, files, rankings, tables, origin)
    bundle.write_archive(smk.output.folder, smk.output.archive)


run(main, snakemake)  # noqa: F821
