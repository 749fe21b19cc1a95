"""The consensus module of an architecture's replicate autoencoders, and how stable its genes are.

Each architecture is trained R times from different seeds (``models.replicates``, replicate k named
``<model>.r<k>``), and each replicate is reverse-trained with the same S seeds
(:mod:`deepmodules.modules.reverse_training`), which gives replicate r the mean m_rg and sd s_rg over
seeds of gene g's score. The consensus score is the mean over the R × S fits, m_g = (1/R) sum_r m_rg,
and its sd the pooled sd over them (law of total variance):

    sd_g^2 = [ sum_r (S - 1) s_rg^2 + S (m_rg - m_g)^2 ] / (R S - 1).

With T_r the top ``modules.size`` genes of replicate r, a gene's ``stability`` is the share of
replicates whose T_r holds it, (1/R) sum_r [g in T_r], and the module's ``module_stability`` is the
mean Jaccard index |T_r ∩ T_q| / |T_r ∪ T_q| over the R (R - 1) / 2 pairs of replicates (NaN for a
single replicate, as for the naive baseline, which has no autoencoder to replicate).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

COLUMNS = [
    "gene",
    "score",
    "score_sd",
    "rank",
    "stability",
    "module_stability",
    "n_replicates",
    "reference",
    "status",
]


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (1 for two empty sets)."""
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def module_stability(top_sets: list[set[str]]) -> float:
    """Mean pairwise Jaccard index of the replicates' top sets; NaN for fewer than two."""
    pairs = [jaccard(a, b) for a, b in combinations(top_sets, 2)]
    return float(np.mean(pairs)) if pairs else np.nan


def consensus_module(tables: list[pd.DataFrame], size: int, n_seeds: int) -> pd.DataFrame:
    """The consensus of one disease's module tables, one per replicate (module docstring).

    Each table has the columns of :func:`~deepmodules.modules.reverse_training.summarize_seeds` plus
    ``reference`` and ``status``; ``n_seeds`` is S, the reverse-training seeds behind each table's
    mean and sd. A disease that was skipped (its status is not ``scored``) keeps its skip row.
    """
    first = tables[0]
    if str(first["status"].iloc[0]) != "scored":
        return first.assign(stability=np.nan, module_stability=np.nan, n_replicates=len(tables))[
            COLUMNS
        ]
    genes = first["gene"].sort_values().to_numpy()
    aligned = [table.set_index("gene").loc[genes] for table in tables]
    means = np.stack([table["score"].to_numpy(dtype=float) for table in aligned])
    sds = np.stack([table["score_sd"].to_numpy(dtype=float) for table in aligned])
    n_reps = len(tables)
    mean = means.mean(axis=0)
    fits = n_reps * n_seeds
    within = ((n_seeds - 1) * sds**2).sum(axis=0)
    between = (n_seeds * (means - mean) ** 2).sum(axis=0)
    sd = np.sqrt((within + between) / (fits - 1)) if fits > 1 else np.zeros_like(mean)
    tops = [set(table.nsmallest(size, "rank")["gene"]) for table in tables]
    stability = np.array([sum(g in top for top in tops) for g in genes]) / n_reps
    module = pd.DataFrame(
        {
            "gene": genes,
            "score": mean,
            "score_sd": sd,
            "stability": stability,
            "module_stability": module_stability(tops),
            "n_replicates": n_reps,
            "reference": first["reference"].iloc[0],
            "status": "scored",
        }
    )
    module = module.sort_values(["score", "gene"], ascending=[False, True], kind="stable")
    module["rank"] = np.arange(1, len(module) + 1)
    return module[COLUMNS].reset_index(drop=True)
