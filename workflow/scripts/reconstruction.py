"""Rule reconstruction: global and gene-wise 1 - R^2 of every trained model on both splits, whether
the test loss stopped its training, its flat nodes per layer and the reconstruction gate."""

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model.activity import flat_counts, read_activity
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.network import load_layers, reconstruct
from deepmodules.model.reconstruction import flat_node_columns, gate, r2_global, r2_per_gene
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    rows, genes = [], []
    for model_id, path, activity, summary in zip(
        smk.params.models, smk.input.networks, smk.input.activity, smk.input.summaries, strict=True
    ):
        spec = parse_model_id(model_id)
        flat = flat_node_columns(flat_counts(read_activity(activity, smk.params.flat_sd)))
        converged = bool(pd.read_csv(summary, sep="\t")["converged"].iloc[0])
        layers = load_layers(path)
        for split, mask in (("train", data.train), ("test", ~data.train)):
            x = np.asarray(data.values[mask])
            xhat = reconstruct(layers, x)
            r2_genes = r2_per_gene(x, xhat)
            rows.append(
                {
                    "model": model_id,
                    "depth": spec.depth,
                    "width": spec.width,
                    "variant": spec.variant,
                    "split": split,
                    "r2_global": r2_global(x, xhat),
                    "r2_gene_median": float(np.nanmedian(r2_genes)),
                    "converged": converged,
                    **flat,
                }
            )
            genes.append(
                pd.DataFrame(
                    {"model": model_id, "split": split, "gene": data.genes, "r2": r2_genes}
                )
            )
    table = pd.DataFrame(rows)
    table["error"] = 1.0 - table["r2_global"]
    table = gate(table, smk.params.min_median_r2)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    pd.concat(genes).to_csv(
        smk.output.genes, sep="\t", index=False, float_format="%.6g", compression=layout.GZIP
    )


run(main, snakemake)  # noqa: F821
