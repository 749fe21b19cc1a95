"""Supplementary figures: gene-set annotation of nodes, and planted-gene recovery on the simulated
compendium.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from deepmodules.figures.fig_gwas import gwas_series
from deepmodules.figures.style import LAYER_COLORS


def supp_genesets(table: pd.DataFrame) -> plt.Figure:
    """Supplementary Figs. 4-5: fraction of nodes whose top light-up genes are enriched in a set of
    each collection (KEGG, Reactome, GO), per layer, against random gene sets of the same size."""
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        rows = table[table["dataset"] == dataset]
        collections = list(dict.fromkeys(rows["collection"]))
        layers = list(dict.fromkeys(rows["layer"]))
        x = np.arange(len(collections))
        width = 0.8 / (len(layers) + 1)
        for i, layer in enumerate(layers):
            fraction = rows[rows["layer"] == layer].set_index("collection")["fraction"]
            ax.bar(
                x + i * width,
                fraction.reindex(collections),
                width,
                label=layer,
                color=LAYER_COLORS.get(layer),
            )
        random = rows.groupby("collection")["random_fraction"].mean().reindex(collections)
        ax.bar(x + len(layers) * width, random, width, label="random genes", color="black")
        ax.set_xticks(x + 0.4 - width / 2, collections, rotation=20, ha="right")
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"nodes with an enriched set (top {rows['k'].iloc[0]} genes)")
        ax.set_title(dataset)
        ax.legend(fontsize=8)
    return fig


def truth_recovery(table: pd.DataFrame) -> plt.Figure:
    """Supplementary: recovery of the planted disease genes on a simulated compendium (deepmodules.validate.truth).

    Per dataset (columns), the AUROC and the precision at the number of planted genes (rows) of every
    model and layer in the order of Fig. 3 (deep layers in their layer colours, the shallow model yellow,
    the naive baseline grey), one dot per disease and a bar at their mean; dashed lines at
    chance (AUROC 0.5; precision n/N, the share of planted genes). Red dots are rows the scorecard
    notes as not above chance or below the naive baseline.
    """
    tested = table[table["n_planted"] > 0]
    datasets = list(dict.fromkeys(tested["dataset"]))
    fig, axes = plt.subplots(2, len(datasets), figsize=(6 * len(datasets), 7), squeeze=False)
    measures = (("auroc", "AUROC"), ("precision_at_n_planted", "precision at n planted"))
    for column, dataset in enumerate(datasets):
        rows = tested[tested["dataset"] == dataset]
        series = gwas_series(rows)
        for ax, (measure, label) in zip(axes[:, column], measures, strict=True):
            for x, (model, layer) in enumerate(series):
                values = rows[(rows["model"] == model) & (rows["layer"] == layer)]
                color = LAYER_COLORS.get(layer) if model.startswith("deep") else None
                if model.startswith("naive"):
                    color = LAYER_COLORS["genes"]
                ax.bar(x, values[measure].mean(), 0.7, color=color or "#e9c46a")
                failed = values["note"] != "recovered"
                jitter = np.linspace(-0.2, 0.2, len(values))
                ax.scatter(
                    x + jitter,
                    values[measure],
                    s=14,
                    color=np.where(failed, "#d62828", "black"),
                    zorder=3,
                )
            chance = 0.5 if measure == "auroc" else (rows["n_planted"] / rows["n_genes"]).mean()
            ax.axhline(chance, color="black", linestyle="--", linewidth=0.8)
            ax.set_xticks(range(len(series)), [f"{m} {la}" for m, la in series], rotation=30)
            ax.set_ylim(0, 1.02)
            ax.set_ylabel(label)
        axes[0, column].set_title(f"{dataset}: planted disease genes recovered")
    return fig
