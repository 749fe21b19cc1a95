"""Fig. 2: reconstruction error of the autoencoder sweep (paper, "Deep autoencoders reconstruct
the compendium").
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def reconstruction(table: pd.DataFrame, genes: pd.DataFrame) -> plt.Figure:
    """Fig. 2: a, global error against width; b, c, gene-wise R² of deep and shallow models (test)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for (depth, split), group in table.query("variant == 'plain'").groupby(["depth", "split"]):
        group = group.sort_values("width")
        axes[0].plot(
            group["width"],
            group["error"],
            marker="o" if depth == "deep" else "s",
            linestyle="-" if split == "test" else "--",
            label=f"{depth} ({split})",
        )
    axes[0].set_xscale("log", base=2)
    axes[0].set_xlabel("hidden nodes per layer")
    axes[0].set_ylabel("error = 1 - R² (global)")
    axes[0].set_title("a  reconstruction error")
    axes[0].legend(fontsize=8)
    test = genes[genes["split"] == "test"].dropna(subset=["r2"])
    for ax, depth, letter in ((axes[1], "deep", "b"), (axes[2], "shallow", "c")):
        models = table.query("depth == @depth and split == 'test'").sort_values("width")["model"]
        data = [test.loc[test["model"] == m, "r2"].to_numpy() for m in models]
        if data:
            ax.boxplot(data, tick_labels=list(models), showfliers=False)
        ax.set_ylabel("gene-wise R² (test)")
        ax.set_title(f"{letter}  {depth} autoencoders")
        ax.tick_params(axis="x", rotation=45)
    return fig
