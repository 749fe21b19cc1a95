"""Rules reverse_training and naive_baseline: gene scores per disease, mean and sd over seeds.

A disease this compendium cannot score (too few cases, no controls to contrast with) still gets its
module file, one row carrying the reason in ``status``, so that the enrichment rules report the skip.
So does a disease configured for other datasets only (``diseases.*.datasets``): its label is not
looked for here, and no rule of this dataset reads its module.
"""

from deepmodules import layout
from deepmodules.data import annotation, compendium
from deepmodules.model.network import load_layers
from deepmodules.modules.reverse_training import disease_scores
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    diseases = {disease_id: d["label"] for disease_id, d in smk.params.diseases.items()}
    analysed = {d: smk.params.diseases[d] for d in smk.params.analysed}
    skipped = annotation.check_diseases(
        data.samples, analysed, smk.params.min_cases, smk.input.samples
    )
    for disease_id in diseases.keys() - analysed.keys():
        skipped[disease_id] = "not analysed in this dataset (diseases.*.datasets)"
    if "network" in smk.input.keys():
        layers = load_layers(smk.input.network)
        where = {"layers": layers, "layer": smk.wildcards.layer}
    else:
        where = {"hidden": int(smk.wildcards.width)}
    tables = disease_scores(
        data.values,
        data.samples,
        data.genes,
        diseases,
        smk.params.control_label,
        smk.params.settings,
        gene_span=data.gene_range.span,
        skipped=skipped,
        **where,
    )
    for disease_id, path in zip(diseases, smk.output, strict=True):
        tables[disease_id].to_csv(path, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
