"""Reconstruction error of an autoencoder (paper, Results: "A deepAE with 512 nodes explained 95% of variance").

The error is 1 - R^2. Globally, with one data variance over all entries,

    R^2 = 1 - sum_ij (x_ij - xhat_ij)^2 / sum_ij (x_ij - mean(x))^2,

and per gene j with the gene's own variance,

    R^2_j = 1 - sum_i (x_ij - xhat_ij)^2 / sum_i (x_ij - mean_i(x_ij))^2.
"""

from __future__ import annotations

import numpy as np


def r2_global(x: np.ndarray, xhat: np.ndarray) -> float:
    """R^2 over all entries with a single (global) data variance."""
    x = np.asarray(x, dtype=np.float64)
    residual = np.square(x - xhat).sum()
    total = np.square(x - x.mean()).sum()
    return float(1.0 - residual / total)


def r2_per_gene(x: np.ndarray, xhat: np.ndarray) -> np.ndarray:
    """R^2 of every gene (column) with its own variance; NaN for genes constant in ``x``."""
    x = np.asarray(x, dtype=np.float64)
    residual = np.square(x - xhat).sum(axis=0)
    total = np.square(x - x.mean(axis=0)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)
