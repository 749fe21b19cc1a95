"""Statistics for validating disease modules against GWAS genes.

Module vs GWAS gene overlap is tested with a one-sided Fisher exact test (the hypergeometric upper
tail) within a gene universe; p-values across tests are corrected by Benjamini-Hochberg and combined
across diseases by Fisher's method; counts of wins are tested with a one-sided binomial test. A disease
with fewer GWAS genes in the universe than a minimum (the paper: 100) is not tested but recorded as
skipped, with the reason in its ``status``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from deepmodules.errors import InputError


def fisher_enrichment(
    module: Iterable[str], gwas: Iterable[str], universe: Iterable[str]
) -> dict[str, float | int]:
    """One-sided Fisher exact test of the overlap between a module and a GWAS gene set.

    Both sets are first restricted to the universe U (N = |U|). With a = |M ∩ G|, b = |M \\ G|,
    c = |G \\ M| and d = N - a - b - c, the table [[a, b], [c, d]] is tested with
    ``alternative="greater"``: p = P(X >= a) for X ~ Hypergeometric(N, |G|, |M|). The odds ratio is the
    sample odds ratio a·d / (b·c) (inf when b·c = 0 and a·d > 0).
    """
    universe = set(universe)
    if not universe:
        raise InputError(
            "fisher_enrichment", "the gene universe is empty", "pass the expressed genes"
        )
    module = set(module) & universe
    gwas = set(gwas) & universe
    a = len(module & gwas)
    b = len(module) - a
    c = len(gwas) - a
    d = len(universe) - a - b - c
    odds_ratio, p_value = stats.fisher_exact([[a, b], [c, d]], alternative="greater")
    return {
        "overlap": a,
        "module_size": len(module),
        "gwas_genes": len(gwas),
        "universe": len(universe),
        "odds_ratio": float(odds_ratio),
        "p_value": float(p_value),
    }


ENRICHMENT_FIELDS = ["overlap", "module_size", "gwas_genes", "universe", "odds_ratio", "p_value"]


def gwas_test(
    module: Iterable[str], gwas: Iterable[str], universe: Iterable[str], min_gwas_genes: int
) -> dict[str, float | int | str]:
    """:func:`fisher_enrichment` with a ``status``: ``tested``, or a recorded skip.

    When fewer than ``min_gwas_genes`` GWAS genes lie in the universe the module is not tested: its
    statistics are NaN (``gwas_genes`` still counts them) and ``status`` says why.
    """
    universe = set(universe)
    n_gwas = len(set(gwas) & universe)
    if n_gwas < min_gwas_genes:
        return {
            **dict.fromkeys(ENRICHMENT_FIELDS, np.nan),
            "gwas_genes": n_gwas,
            "status": f"skipped: {n_gwas} GWAS genes in the universe (minimum {min_gwas_genes})",
        }
    return {**fisher_enrichment(module, gwas, universe), "status": "tested"}


def adjust_and_combine(
    table: pd.DataFrame, by: Sequence[str] = ("model", "layer")
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Benjamini-Hochberg q-values over the tested rows of ``table``, and Fisher's combined p per ``by``.

    ``table`` has a ``p_value`` and a ``status`` column (:func:`gwas_test`); skipped rows keep a NaN
    q-value and do not count in the combined p. Returns the table with ``q_value`` and one row per
    group of ``by`` (in order of appearance): ``n_diseases`` tested and ``combined_p_value``.
    """
    by = list(by)
    tested = table["status"] == "tested"
    table = table.assign(q_value=np.nan)
    table.loc[tested, "q_value"] = benjamini_hochberg(table.loc[tested, "p_value"])
    rows = []
    for key, group in table.groupby(by, sort=False):
        p = group.loc[group["status"] == "tested", "p_value"]
        rows.append([*key, len(p), fisher_combined(p) if len(p) else np.nan])
    return table, pd.DataFrame(rows, columns=[*by, "n_diseases", "combined_p_value"])


def benjamini_hochberg(p: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries stay NaN and are not counted.

    With the m non-NaN p-values sorted as p_(1) <= ... <= p_(m):
    q_(i) = min_{j >= i} m · p_(j) / j, monotone in p and at most p_(m) <= 1.
    """
    p = np.asarray(p, dtype=float)
    _check_probabilities(p[~np.isnan(p)], "benjamini_hochberg")
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
    _check_probabilities(p, "fisher_combined")
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


def _check_probabilities(p: np.ndarray, where: str) -> None:
    """Raise InputError unless every value lies in [0, 1]."""
    if ((p < 0) | (p > 1)).any():
        raise InputError(
            where, "p-values must lie in [0, 1]", "pass p-values, not scores or -log10 p"
        )
