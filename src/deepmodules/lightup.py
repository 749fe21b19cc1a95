"""Light-up of hidden nodes (paper, Methods: "Interpreting the trained AE with PPI", Eq. 1).

For hidden layer p with H nodes, node j is lit up by the input x_p = a_max * e_j (the activation maximum at
position j, zeros elsewhere) and forward-propagated through the remaining layers,

    x_k = f_k(W_k x_{k-1} + b_k)   for p < k <= L,

so that x_L, one value per gene, ranks the genes most influenced by the node. All H nodes of a layer are
lit up at once by propagating the diagonal matrix a_max * I_H.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmodules.autoencoder import DenseLayer, layers_after


def lightup(
    layers: list[DenseLayer], layer: str, genes: list[str], max_activation: float = 1.0
) -> pd.DataFrame:
    """Output activation of every gene (rows) for every lit-up node of ``layer`` (columns)."""
    following = layers_after(layers, layer)
    width = following[0].kernel.shape[0]
    x = max_activation * np.eye(width)
    for dense in following:
        x = dense(x)
    columns = [f"{layer}_{j + 1}" for j in range(width)]
    return pd.DataFrame(x.T, index=pd.Index(genes, name="gene"), columns=columns)


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
