"""Rule train: fit one autoencoder of the sweep on the training split, resuming from a checkpoint."""

import shutil

import pandas as pd

from deepmodules import layout
from deepmodules.data import compendium
from deepmodules.model.fit import fit_autoencoder
from deepmodules.model.network import save_layers
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(layout.normalized_folder(smk.input.expression))
    checkpoint = layout.checkpoint_dir(smk.output.model)
    fitted = fit_autoencoder(
        data.values,
        data.train,
        smk.wildcards.model,
        smk.params.seed,
        smk.params.training,
        checkpoint / "state.npz",
        smk.config["training"]["checkpoint_seconds"],
    )
    fitted.model.save(smk.output.model)
    save_layers(smk.output.network, fitted.layers)
    fitted.nodes.to_csv(smk.output.node_activity, sep="\t", index=False, float_format="%.6g")
    fitted.run.history.to_csv(smk.output.history, sep="\t", index=False)
    summary = pd.DataFrame([fitted.summary(smk.wildcards.model)])
    summary.to_csv(smk.output.summary, sep="\t", index=False, float_format="%.6g")
    shutil.rmtree(checkpoint)


run(main, snakemake)  # noqa: F821
