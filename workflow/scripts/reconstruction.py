"""Rule reconstruction: global and gene-wise 1 - R^2 of every trained model on both splits, whether
the test loss stopped its training, its flat nodes per layer and the reconstruction gate."""

import pandas as pd

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model.activity import flat_counts, read_activity
from deepmodules.model.network import load_layers
from deepmodules.model.reconstruction import flat_node_columns, gate, model_reconstruction
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    rows, genes = [], []
    for model_id, path, activity, summary in zip(
        smk.params.models, smk.input.networks, smk.input.activity, smk.input.summaries, strict=True
    ):
        flat = flat_node_columns(flat_counts(read_activity(activity, smk.params.flat_sd)))
        converged = bool(pd.read_csv(summary, sep="\t")["converged"].iloc[0])
        model_rows, model_genes = model_reconstruction(
            model_id, load_layers(path), data.values, data.train, data.genes
        )
        rows += [{**row, "converged": converged, **flat} for row in model_rows]
        genes.append(model_genes)
    table = pd.DataFrame(rows)
    table["error"] = 1.0 - table["r2_global"]
    table = gate(table, smk.params.min_median_r2)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    pd.concat(genes).to_csv(
        smk.output.genes, sep="\t", index=False, float_format="%.6g", compression=layout.GZIP
    )


run(main, snakemake)  # noqa: F821
