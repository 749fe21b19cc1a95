"""Fig. 2: reconstruction error of the autoencoder sweep (paper, "Deep autoencoders reconstruct
the compendium").
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def reconstruction(table: pd.DataFrame, genes: pd.DataFrame) -> plt.Figure:
    """Fig. 2: a, global error against width; b, c, gene-wise R² of deep and shallow models (test).

    Models that failed the reconstruction gate (``reconstruction_ok`` false, see
    :func:`deepmodules.model.reconstruction.gate`) are marked with a red cross in a and a red ``✗`` label in
    b and c, and a note under the figure names them; a line under the figure gives each model's flat
    nodes per hidden layer (``n_flat_h1``, … columns), and another names the models whose training a
    cap ended before the test loss stopped it (``converged`` false), with ``†`` on their labels.
    """
    failed = set(table.loc[~table["reconstruction_ok"].astype(bool), "model"])
    capped = set(table.loc[~table["converged"].astype(bool), "model"])
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
        bad = group[group["model"].isin(failed)]
        axes[0].scatter(bad["width"], bad["error"], marker="x", s=90, color="red", zorder=3)
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
            labels = [
                ("✗ " if m in failed else "") + m + (" †" if m in capped else "") for m in models
            ]
            ax.boxplot(data, tick_labels=labels, showfliers=False)
            for label in ax.get_xticklabels():
                if label.get_text().startswith("✗"):
                    label.set_color("red")
        ax.set_ylabel("gene-wise R² (test)")
        ax.set_title(f"{letter}  {depth} autoencoders")
        ax.tick_params(axis="x", rotation=45)
    flat_columns = [c for c in table.columns if c.startswith("n_flat_")]
    per_model = table.drop_duplicates("model").set_index("model")[flat_columns]
    lines = [
        "flat nodes (activation sd < nodes.flat_sd) per hidden layer: "
        + "; ".join(
            f"{model} " + "/".join(str(int(n)) for n in counts.dropna())
            for model, counts in per_model.iterrows()
        )
    ]
    if capped:
        lines.append(
            f"† training ended at its cap, not by early stopping (may be undertrained): "
            f"{', '.join(m for m in table['model'].unique() if m in capped)}"
        )
    if failed:
        lines.append(
            f"✗ failed the reconstruction gate (median test R² below training.min_median_r2): "
            f"{', '.join(sorted(failed))}; their modules are not interpretable"
        )
    for i, line in enumerate(reversed(lines)):
        fig.text(0.01, 0.01 + 0.05 * i, line, color="red" if line.startswith("✗") else "black",
                 fontsize=9)  # fmt: skip
    fig.subplots_adjust(bottom=0.33 + 0.05 * (len(lines) - 1))
    return fig
