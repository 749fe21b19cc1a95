"""P-value arithmetic shared by the stages: Benjamini-Hochberg q-values, Fisher's method and the one-sided
binomial (sign) test, each refusing values that are not probabilities or counts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import stats

from deepmodules.errors import InputError

# The significance level of the figures' lines and marks and of the flags that read a single p-value
# (the scorecard's "not above chance", the GWAS length/density flag): one value for all of them.
ALPHA = 0.05


def benjamini_hochberg(p: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries stay NaN and are not counted.

    With the m non-NaN p-values sorted as p_(1) <= ... <= p_(m):
    q_(i) = min_{j >= i} m · p_(j) / j, monotone in p and at most p_(m) <= 1.
    """
    p = np.asarray(p, dtype=float)
    check_probabilities(p[~np.isnan(p)], "benjamini_hochberg")
    q = np.full(p.shape, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = finite.size
    if m == 0:
        return q
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return q


def fisher_combined(p: Iterable[float]) -> float:
    """Fisher's method: X = -2 Σ ln p_i ~ χ²(2n) under the joint null; returns P(χ²(2n) >= X)."""
    p = np.asarray(list(p), dtype=float)
    if p.size == 0 or np.isnan(p).any():
        raise InputError(
            "fisher_combined", "needs at least one p-value and no NaN", "drop NaN p-values"
        )
    check_probabilities(p, "fisher_combined")
    return float(stats.combine_pvalues(p, method="fisher").pvalue)


def binomial_greater(successes: int, n: int, p: float = 0.5) -> float:
    """One-sided exact binomial test: P(X >= successes) for X ~ Binomial(n, p)."""
    if not 0 <= successes <= n:
        raise InputError(
            "binomial_greater",
            f"successes={successes} outside 0..n={n}",
            "pass counts with 0 <= k <= n",
        )
    return float(stats.binomtest(successes, n, p, alternative="greater").pvalue)


def check_probabilities(p: np.ndarray, where: str) -> None:
    """Raise InputError unless every value lies in [0, 1]."""
    if ((p < 0) | (p > 1)).any():
        raise InputError(
            where, "p-values must lie in [0, 1]", "pass p-values, not scores or -log10 p"
        )
