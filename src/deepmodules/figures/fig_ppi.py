"""Fig. 5 and 7: PPI colocalization (betweenness, harmonic distance) of light-up gene sets against the null."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from deepmodules.figures.style import LAYER_COLORS
from deepmodules.stats import ALPHA


def _layer_note(rows: pd.DataFrame) -> str:
    """One layer's line of Fig. 5: live and flat nodes, light-up diversity, permutation p by k."""
    first = rows.iloc[0]
    note = f"{first['layer']}: {int(first['n_nodes'])} live, {int(first['n_flat'])} flat nodes"
    if first["status"] != "tested":
        return f"{note}: {first['status']}, not tested"
    note += (
        f"; {int(first['n_distinct_sets'])} distinct top-{int(first['lightup_k'])} gene sets,"
        f" Jaccard {first['mean_jaccard']:.2f}"
    )
    tested = rows.dropna(subset=["permutation_p_value"])
    p_values = ", ".join(
        f"k={int(k)}: {p:.2g}"
        for k, p in zip(tested["k"], tested["permutation_p_value"], strict=True)
    )
    return f"{note}; permutation p {p_values or 'not computed'}"


def ppi_colocalization(
    table: pd.DataFrame, summary: pd.DataFrame, alpha: float = ALPHA
) -> plt.Figure:
    """Fig. 5: mean betweenness and harmonic distance of top-k light-up genes per layer, with the null.

    Live nodes only. The layer test is the permutation test (``permutation_p_value`` of
    ppi_summary.tsv): cutoffs where a layer's gene sets are closer than random at ``alpha`` are
    starred; the notes below give each layer's live and flat nodes, how distinct its nodes' top
    light-up genes are, and the permutation p by k. Layers without live nodes are named there.
    """
    notes = [_layer_note(rows) for _, rows in summary.groupby("layer", sort=True)]
    lines = 0.2 * len(notes) + 0.2
    fig, grid = plt.subplot_mosaic(
        [["betweenness", "distance"], ["notes", "notes"]],
        figsize=(11, 4 + lines),
        height_ratios=[4, lines],
    )
    axes = [grid["betweenness"], grid["distance"]]
    panels = (
        ("betweenness", "mean betweenness centrality"),
        ("harmonic_distance", "harmonic distance"),
    )
    for ax, (metric, label) in zip(axes, panels, strict=True):
        for layer, group in table.groupby("layer"):
            by_k = group.groupby("k")[metric]
            ax.errorbar(
                by_k.mean().index,
                by_k.mean(),
                yerr=by_k.std(),
                marker="o",
                capsize=2,
                label=layer,
                color=LAYER_COLORS.get(layer),
            )
            if metric == "harmonic_distance":
                rows = summary[summary["layer"] == layer]
                closer = rows.loc[rows["permutation_p_value"] < alpha, "k"].astype(int)
                ax.scatter(
                    closer,
                    by_k.mean().reindex(closer),
                    marker="*",
                    s=120,
                    color=LAYER_COLORS.get(layer),
                    zorder=3,
                )
        null = table.groupby("k")[[f"null_{metric}_mean", f"null_{metric}_sd"]].first()
        ax.errorbar(
            null.index,
            null[f"null_{metric}_mean"],
            yerr=null[f"null_{metric}_sd"],
            color="black",
            linestyle="--",
            capsize=2,
            label="random genes",
        )
        ax.set_xscale("log", base=2)
        ax.set_xlabel("top-k genes per node")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    axes[1].set_title(f"* layer closer than random, permutation p < {alpha}", fontsize=8)
    grid["notes"].axis("off")
    grid["notes"].text(0, 0.5, "\n".join(notes), fontsize=7, va="center", ha="left")
    return fig
