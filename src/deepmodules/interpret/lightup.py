"""Light-up of hidden nodes (paper, Methods: "Interpreting the trained AE with PPI", Eq. 1).

For hidden layer p with H nodes, write F for the rest of the network after layer p,

    F(x_p) = x_L,   x_k = f_k(W_k x_{k-1} + b_k)   for p < k <= L,

one output value per gene. The paper (``method: paper``) lights up node j with the code x_p = a_max e_j
(the activation maximum at position j, zeros elsewhere) and ranks the genes by x_L = F(a_max e_j). That
output is dominated by F(0), the decoder's response to the all-zero code, which is the same for every
node, so the nodes' top genes coincide.

The default (``method: baseline``) moves node j alone from a baseline code b (``baseline: mean``, each
node's mean activation over the compendium, or ``baseline: zero``) to the maximum, and ranks the genes by
the change it causes,

    Delta x_L(j) = F(b + (a_max - b_j) e_j) - F(b),

signed (``direction: signed``: genes the node turns up) or as |Delta x_L(j)| (``direction: absolute``).
All H nodes of a layer are lit up at once by propagating the H codes as the rows of one matrix.

Flat nodes (activation sd below ``nodes.flat_sd`` over the compendium, :mod:`deepmodules.model.activity`) encode
nothing and are left out of the rankings; they stay at their baseline value while the others are lit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from deepmodules.errors import InputError
from deepmodules.model.activity import flat_counts
from deepmodules.model.network import DenseLayer, layers_after, propagate

METHODS = ("baseline", "paper")
BASELINES = ("mean", "zero")
DIRECTIONS = ("signed", "absolute")


def lightup(
    layers: list[DenseLayer],
    layer: str,
    genes: list[str],
    *,
    max_activation: float,
    method: str,
    direction: str,
    baseline: np.ndarray | None = None,
) -> pd.DataFrame:
    """Light-up score of every gene (rows) for every node of ``layer`` (columns ``<layer>_<j>``).

    ``method="paper"``: F(a_max e_j). ``method="baseline"``: Delta x_L(j) = F(b + (a_max - b_j) e_j) - F(b)
    from the baseline code ``baseline`` (zeros when None), signed or absolute by ``direction``.
    """
    if method not in METHODS:
        raise InputError("lightup.method", f"{method!r} is unknown", f"use one of {METHODS}")
    if direction not in DIRECTIONS:
        raise InputError(
            "lightup.direction", f"{direction!r} is unknown", f"use one of {DIRECTIONS}"
        )
    following = layers_after(layers, layer)
    width = following[0].kernel.shape[0]
    columns = [f"{layer}_{j + 1}" for j in range(width)]
    if method == "paper":
        response = propagate(following, max_activation * np.eye(width))
    else:
        b = np.zeros(width) if baseline is None else np.asarray(baseline, dtype=np.float64)
        if b.shape != (width,):
            raise InputError(
                f"baseline code of {layer}",
                f"has {b.size} values for {width} nodes",
                "pass the node_activity.tsv of this model",
            )
        codes = np.tile(b, (width, 1))
        np.fill_diagonal(codes, max_activation)
        response = propagate(following, codes) - propagate(following, b[None, :])
        if direction == "absolute":
            response = np.abs(response)
    return pd.DataFrame(response.T, index=pd.Index(genes, name="gene"), columns=columns)


def baseline_code(activity: pd.DataFrame, layer: str, baseline: str) -> np.ndarray:
    """The baseline code b of ``layer``: its nodes' mean activations (``mean``) or zeros (``zero``)."""
    if baseline not in BASELINES:
        raise InputError("lightup.baseline", f"{baseline!r} is unknown", f"use one of {BASELINES}")
    means = activity.loc[activity["layer"] == layer, "mean"].to_numpy(dtype=np.float64)
    return means if baseline == "mean" else np.zeros_like(means)


def live_nodes(activity: pd.DataFrame, layer: str) -> list[str]:
    """The nodes of ``layer`` that are not flat, in node order."""
    rows = activity[activity["layer"] == layer]
    return rows.loc[~rows["flat"], "node"].tolist()


def read_lightup(path) -> pd.DataFrame:
    """A light-up table as the lightup rule writes it: genes (index, as named) × live nodes."""
    table = pd.read_csv(path, sep="\t", index_col=0, keep_default_na=False)
    return table.astype(np.float64)


def node_rankings(activations: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` genes of every node, most influenced first: one row per (node, rank, gene)."""
    order = np.argsort(-activations.to_numpy(), axis=0, kind="stable")[:top]
    genes = activations.index.to_numpy()
    rows = {
        "node": np.repeat(activations.columns.to_numpy(), order.shape[0]),
        "rank": np.tile(np.arange(1, order.shape[0] + 1), activations.shape[1]),
        "gene": genes[order.T.ravel()],
    }
    return pd.DataFrame(rows)


def top_sets(activations: pd.DataFrame, k: int) -> list[frozenset[str]]:
    """Each node's (column's) set of its k highest-scoring genes."""
    ranked = node_rankings(activations, k)
    return [frozenset(ranked.loc[ranked["node"] == node, "gene"]) for node in activations.columns]


def mean_pairwise_jaccard(sets: list[frozenset[str]]) -> float:
    """Mean over node pairs of the Jaccard index |A ∩ B| / |A ∪ B|; NaN for fewer than two sets."""
    pairs = list(itertools.combinations(sets, 2))
    if not pairs:
        return np.nan
    return float(np.mean([len(a & b) / len(a | b) for a, b in pairs]))


def diversity(activations: pd.DataFrame, k: int) -> dict:
    """How different the nodes' top-k gene sets are: n_distinct_sets, n_distinct_genes (the size of
    their union) and their mean pairwise Jaccard.

    A layer whose nodes light up the same genes (n_distinct_sets = 1, Jaccard 1) says nothing node by
    node; distinct sets with a Jaccard near 0 are the informative case.
    """
    sets = top_sets(activations, k)
    return {
        "k": k,
        "n_distinct_sets": len(set(sets)),
        "n_distinct_genes": len(frozenset().union(*sets)),
        "mean_jaccard": mean_pairwise_jaccard(sets),
    }


def layer_diversity(
    layers: list[DenseLayer],
    layer: str,
    genes: list[str],
    activity: pd.DataFrame,
    settings: dict,
    k: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The configured light-up of the live nodes of ``layer``, and its diversity beside the paper's.

    ``settings`` holds ``max_activation``, ``method``, ``baseline`` and ``direction`` (config ``lightup``).
    Returns the light-up table (live nodes only) and one row per method (the configured one first, then
    the paper's when it differs): layer, method, configured (whether it is the configured method), n_nodes, n_flat, n_live, k, n_distinct_sets,
    n_distinct_genes, mean_jaccard, status. With no live node the table has no columns and the
    row's status is ``no live nodes``.
    """
    counts = flat_counts(activity[activity["layer"] == layer])
    if counts.empty:
        raise InputError(
            "node_activity.tsv", f"has no row of layer {layer}", "rerun rule train for this model"
        )
    count = counts.iloc[0][["n_nodes", "n_flat", "n_live"]].to_dict()
    live = live_nodes(activity, layer)
    methods = [settings["method"]] + (["paper"] if settings["method"] != "paper" else [])
    rows, table = [], None
    for method in methods:
        scores = lightup(
            layers,
            layer,
            genes,
            max_activation=settings["max_activation"],
            method=method,
            direction=settings["direction"],
            baseline=baseline_code(activity, layer, settings["baseline"]),
        )[live]
        table = scores if table is None else table
        row = {
            "layer": layer,
            "method": method,
            "configured": method == settings["method"],
            **count,
        }
        if live:
            rows.append({**row, **diversity(scores, k), "status": "lit up"})
        else:
            rows.append({**row, "k": k, "status": "no live nodes"})
    return table, pd.DataFrame(rows)
