"""Compendia of binary gene programs with XOR genes: data on which depth demonstrably matters.

Each sample switches each of K programs on (a_k = 1) or off (a_k = 0) at random. The expression
features are the programs' activities a_k and, for every listed pair (j, k), their XOR
a_j + a_k - 2 a_j a_k (on when exactly one of the two programs is on); ``genes_per`` genes follow each
feature f as 0.1 + 0.8 f + N(0, noise^2), clipped to [0, 1]. A sigmoid output layer that is affine in
a code of K nodes cannot decode the XOR genes (a shallow autoencoder of width K); a deep decoder can.
"""

from itertools import combinations

import numpy as np


def all_pairs(n_programs: int) -> list[tuple[int, int]]:
    return list(combinations(range(n_programs), 2))


def binary_programs(rng: np.random.Generator, samples: int, n_programs: int) -> np.ndarray:
    """Activities of ``samples`` samples: every program on or off with probability 1/2."""
    return (rng.random((samples, n_programs)) > 0.5).astype(np.float64)


def xor_expression(
    rng: np.random.Generator,
    activity: np.ndarray,
    pairs: list[tuple[int, int]],
    genes_per: int,
    noise: float,
) -> np.ndarray:
    """Expression (samples × genes, float32) of the features of ``activity``, programs first."""
    features = [activity[:, k] for k in range(activity.shape[1])]
    features += [
        activity[:, j] + activity[:, k] - 2 * activity[:, j] * activity[:, k] for j, k in pairs
    ]
    signal = np.repeat(np.stack(features, axis=1), genes_per, axis=1)
    return np.clip(0.1 + 0.8 * signal + rng.normal(0, noise, signal.shape), 0, 1).astype(np.float32)


def gene_names(n_programs: int, pairs: list[tuple[int, int]], genes_per: int) -> list[str]:
    """Names of the genes of :func:`xor_expression`: ``A_1`` … for programs, ``AxB_1`` … for pairs."""
    letters = [chr(ord("A") + k) for k in range(n_programs)]
    features = letters + [f"{letters[j]}x{letters[k]}" for j, k in pairs]
    return [f"{feature}_{i + 1}" for feature in features for i in range(genes_per)]
