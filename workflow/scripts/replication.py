"""Rule replication: held-out replication of one method's disease modules over half splits."""

from deepmodules import layout
from deepmodules.data import annotation, compendium
from deepmodules.model.network import load_layers
from deepmodules.validate.replication import heldout_replication
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    analysed = {d: smk.params.diseases[d] for d in smk.params.analysed}
    skipped = annotation.check_diseases(
        data.samples, analysed, smk.params.min_cases, smk.input.samples
    )
    if smk.input.networks:
        where = {
            "replicates": [
                {"layers": load_layers(path), "layer": smk.wildcards.layer}
                for path in smk.input.networks
            ]
        }
    else:
        where = {"hidden": int(smk.wildcards.model.removeprefix("naive"))}
    table = heldout_replication(
        data.values,
        data.samples,
        data.genes,
        {d: spec["label"] for d, spec in analysed.items()},
        smk.params.control_label,
        smk.params.settings,
        smk.params.size,
        smk.params.verdict["splits"],
        smk.params.seed,
        gene_span=data.gene_range.span,
        skipped=skipped,
        **where,
    )
    table.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
