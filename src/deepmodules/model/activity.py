"""Activity of hidden nodes over a compendium: which nodes are alive, and their baseline code.

For hidden layer p with activations h_p(x) of the samples x of a compendium, node j has mean
mu_j = E_x[h_pj(x)] and standard deviation sigma_j = sd_x[h_pj(x)]. A node with sigma_j below
``flat_sd`` is *flat*: it barely moves whatever the sample (a saturated or dead sigmoid unit), so it
encodes nothing, and what it "lights up" is the decoder's response to a constant. The means
(mu_1, …, mu_H) are the layer's baseline code, from which light-up moves one node at a time.

The table written per model (``node_activity.tsv``) has one row per hidden node: ``layer``, ``node``
(``h1_1``, ``h1_2``, … as in the light-up tables), ``mean``, ``sd``. Which nodes are flat is decided
where the table is read (:func:`read_activity`), so that a new ``nodes.flat_sd`` reruns the rules that
leave flat nodes out, not the training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmodules.model.network import DenseLayer

COLUMNS = ["layer", "node", "mean", "sd"]


def node_activity(layers: list[DenseLayer], x: np.ndarray, batch: int = 4096) -> pd.DataFrame:
    """Mean and sd over the samples ``x`` (samples × genes) of every hidden node of every layer.

    Moments are accumulated batch by batch (sums of h and h^2 in float64), so ``x`` may be memory-mapped.
    """
    hidden = layers[:-1]
    sums = [np.zeros(d.kernel.shape[1]) for d in hidden]
    squares = [np.zeros(d.kernel.shape[1]) for d in hidden]
    n = 0
    for start in range(0, len(x), batch):
        h = np.asarray(x[start : start + batch], dtype=np.float64)
        n += len(h)
        for i, dense in enumerate(hidden):
            h = dense(h)
            sums[i] += h.sum(axis=0)
            squares[i] += (h * h).sum(axis=0)
    if n < 2:
        raise ValueError("node activity needs at least two samples")
    frames = []
    for dense, total, square in zip(hidden, sums, squares, strict=True):
        mean = total / n
        variance = np.maximum(square / n - mean * mean, 0.0) * n / (n - 1)
        sd = np.sqrt(variance)
        frames.append(
            pd.DataFrame(
                {
                    "layer": dense.name,
                    "node": [f"{dense.name}_{j + 1}" for j in range(len(mean))],
                    "mean": mean,
                    "sd": sd,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def mark_flat(activity: pd.DataFrame, flat_sd: float) -> pd.DataFrame:
    """The activity table with ``flat``: whether each node's sd is below ``flat_sd``."""
    return activity.assign(flat=activity["sd"] < flat_sd)


def flat_counts(activity: pd.DataFrame) -> pd.DataFrame:
    """Per layer: the number of nodes, of flat nodes and of live nodes."""
    grouped = activity.groupby("layer", sort=True)["flat"]
    table = pd.DataFrame({"n_nodes": grouped.size(), "n_flat": grouped.sum().astype(int)})
    table["n_live"] = table["n_nodes"] - table["n_flat"]
    return table.reset_index()


def read_activity(path, flat_sd: float) -> pd.DataFrame:
    """Read a ``node_activity.tsv`` written by the train rule, its nodes marked flat below ``flat_sd``."""
    return mark_flat(pd.read_csv(path, sep="\t", dtype={"layer": str, "node": str}), flat_sd)
