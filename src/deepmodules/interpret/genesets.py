"""Light-up gene rankings against gene-set collections (paper Supplementary Figs. 4-5).

The paper checks the robustness of the PPI colocalization of hidden nodes against annotation
databases (KEGG, Reactome, GO). For every node, its top k light-up genes M are tested against each
set S of a collection by the one-sided hypergeometric test within the universe U of expressed genes,

    p = P(X >= |M ∩ S|),   X ~ Hypergeometric(N = |U|, K = |S ∩ U|, n = |M|),

the upper tail of Fisher's exact test (as in `enrichment.fisher_enrichment`), here computed for all
nodes and sets at once. A node is annotated when its best set has a Benjamini-Hochberg q below alpha
(over the sets of the collection, per node). The fraction of annotated nodes of a layer is compared
with the fraction for random top-k gene sets (random rankings) by a one-sided Fisher exact test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

from deepmodules.errors import InputError
from deepmodules.stats import benjamini_hochberg


def membership(
    collection: dict[str, list[str]], universe: Sequence[str], min_size: int, max_size: int
) -> tuple[list[str], sparse.csc_array]:
    """Names and 0/1 membership matrix (universe genes x sets) of the sets with min_size to
    max_size genes in the universe."""
    index = {gene: i for i, gene in enumerate(universe)}
    names, rows, cols = [], [], []
    for name, genes in collection.items():
        members = sorted({index[g] for g in genes if g in index})
        if min_size <= len(members) <= max_size:
            rows += members
            cols += [len(names)] * len(members)
            names.append(name)
    matrix = sparse.csc_array((np.ones(len(rows)), (rows, cols)), shape=(len(universe), len(names)))
    return names, matrix


def hypergeometric_pvalues(top: np.ndarray, sets: sparse.csc_array) -> np.ndarray:
    """p (gene sets x collection sets) of the one-sided hypergeometric test of each overlap.

    top: gene sets as rows of universe indices, all of size n; sets: `membership` matrix.
    """
    n_universe, n = sets.shape[0], top.shape[1]
    indicator = sparse.csr_array(
        (np.ones(top.size), top.ravel(), np.arange(0, top.size + 1, n)),
        shape=(len(top), n_universe),
    )
    overlap = (indicator @ sets).toarray()
    size = np.broadcast_to(sets.sum(axis=0), overlap.shape)
    p = np.ones(overlap.shape)
    hit = overlap > 0
    p[hit] = stats.hypergeom.sf(overlap[hit] - 1, n_universe, size[hit], n)
    return p


def annotated(p: np.ndarray, alpha: float) -> np.ndarray:
    """Whether each gene set (row of p) has a collection set with Benjamini-Hochberg q < alpha."""
    return np.array([bool((benjamini_hochberg(row) < alpha).any()) for row in p])


def top_genes(rankings: pd.DataFrame, universe: Sequence[str], k: int) -> pd.DataFrame:
    """Universe indices of each node's top k genes (nodes x k) from a `node, rank, gene` table."""
    top = rankings[rankings["rank"] <= k].sort_values(["node", "rank"], kind="stable")
    counts = top.groupby("node", sort=False).size()
    if (counts < k).any():
        raise InputError(
            "rankings",
            f"node {counts.idxmin()} ranks {counts.min()} genes, fewer than k = {k}",
            "lower genesets.k to at most the ranked genes (the largest ppi.ks)",
        )
    index = pd.Index(universe).get_indexer(top["gene"])
    if (index < 0).any():
        raise InputError("rankings", "rank genes outside the universe", "pass the expressed genes")
    return pd.DataFrame(index.reshape(-1, k), index=counts.index)


def layer_enrichment(
    rankings: pd.DataFrame,
    universe: Sequence[str],
    collection: dict[str, list[str]],
    k: int,
    min_size: int,
    max_size: int,
    alpha: float,
    n_random: int,
    seed: int,
) -> dict[str, float | int]:
    """Fraction of a layer's nodes annotated by a collection, against random top-k gene sets.

    rankings: `node, rank, gene` rows (`lightup.node_rankings`). p_value is the one-sided Fisher
    exact test that nodes are annotated more often than random sets.
    """
    names, sets = membership(collection, universe, min_size, max_size)
    if not names:
        raise InputError(
            "gene sets",
            f"no set has {min_size}-{max_size} genes among the {len(universe)} expressed genes",
            "check that the collection uses the expression matrix's gene symbols",
        )
    nodes = top_genes(rankings, universe, k).to_numpy()
    rng = np.random.default_rng(seed)
    random = np.stack([rng.choice(len(universe), size=k, replace=False) for _ in range(n_random)])
    hits = int(annotated(hypergeometric_pvalues(nodes, sets), alpha).sum())
    random_hits = int(annotated(hypergeometric_pvalues(random, sets), alpha).sum())
    table = [[hits, len(nodes) - hits], [random_hits, n_random - random_hits]]
    return {
        "k": k,
        "n_sets": len(names),
        "n_nodes": len(nodes),
        "annotated_nodes": hits,
        "fraction": hits / len(nodes),
        "n_random": n_random,
        "random_fraction": random_hits / n_random,
        "p_value": float(stats.fisher_exact(table, alternative="greater").pvalue),
    }
