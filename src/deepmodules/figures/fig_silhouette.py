"""Fig. 4: silhouette of cell types and diseases in each layer's 2-PC projection against gene space."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from deepmodules.figures.style import LAYER_COLORS


def silhouette(table: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """Fig. 4: a, -log10 binomial P per layer and group kind; b, silhouette per group, layer vs genes.

    Groupings skipped in the tables (``status`` other than ``tested``: one cell type, one study, a
    layer without two live nodes) have no bar and no points; panel a writes the reason in the empty slot.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    kinds = list(dict.fromkeys(summary["group_kind"]))
    layers = [layer for layer in dict.fromkeys(summary["layer"]) if layer != "genes"]
    width = 0.8 / max(len(layers), 1)
    summary_status = summary.get("status", pd.Series("tested", index=summary.index))
    for i, layer in enumerate(layers):
        rows = summary[summary["layer"] == layer].assign(status=summary_status)
        rows = rows.set_index("group_kind")
        heights = [-np.log10(max(rows["p_value"].get(k, np.nan), 1e-300)) for k in kinds]
        x = np.arange(len(kinds)) + i * width
        axes[0].bar(x, heights, width, label=layer, color=LAYER_COLORS.get(layer))
        for position, kind in zip(x, kinds, strict=True):
            why = rows["status"].get(kind, "tested")
            if why != "tested":  # the empty bar's slot says why
                axes[0].text(
                    position,
                    0.02,
                    why,
                    transform=axes[0].get_xaxis_transform(),
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    color="#9d0208",
                )
    axes[0].set_xlim(-width, len(kinds) - 1 + 0.8)
    axes[0].set_xticks(np.arange(len(kinds)) + 0.4 - width / 2, kinds)
    axes[0].set_ylabel("-log10 P (binomial, layer beats gene PCA)")
    axes[0].set_title("a  layers against gene-space PCA")
    axes[0].legend(fontsize=8)
    status = table.get("status", pd.Series("tested", index=table.index))
    tested = table[status == "tested"]
    genes = tested[tested["layer"] == "genes"].set_index(["group_kind", "group"])["silhouette"]
    for layer in layers:
        rows = tested[tested["layer"] == layer].set_index(["group_kind", "group"])["silhouette"]
        common = rows.index.intersection(genes.index)
        axes[1].scatter(
            genes[common], rows[common], s=14, label=layer, color=LAYER_COLORS.get(layer)
        )
    lims = [-1, 1]
    axes[1].plot(lims, lims, color="black", linewidth=0.8)
    axes[1].set_xlabel("silhouette, gene-space PCA")
    axes[1].set_ylabel("silhouette, layer PCA")
    axes[1].set_title("b  silhouette per group")
    axes[1].legend(fontsize=8)
    return fig
