"""Shortest-path and centrality kernels on a gene network, the measures of Fig. 5: all-pairs reciprocal
distances by bit-parallel breadth-first search, betweenness centrality (Brandes), and the harmonic
mean distance within gene sets.
"""

from __future__ import annotations

import igraph
import numpy as np
from scipy import sparse

from deepmodules.data.stringdb import Network
from deepmodules.errors import InputError

_SETS_PER_PRODUCT = 512  # gene sets per matrix product in pair_sums, bounds memory to 512 x n


def reciprocal_distances(network: Network, batch_size: int = 512) -> np.ndarray:
    """Reciprocal shortest-path lengths between all genes: R_ij = 1 / d_ij (float32, n x n).

    R is 0 on the diagonal and for disconnected pairs (d = inf). The breadth-first searches from
    `batch_size` sources run at once, bit-parallel: every gene holds one bit per source, packed in
    64-bit words, and the genes first reached at level l from each source are

        F_l(v) = OR_{u in N(v)} F_{l-1}(u)  AND NOT  V_{l-1}(v),    V_l = V_{l-1} OR F_l,

    so that one level costs one pass over the edges for all sources of the batch. All-pairs
    distances of a STRING-sized network (19,000 genes, 450,000 edges) take about 15 s; R takes
    4 n^2 bytes (1.4 GB for 19,000 genes).
    """
    adjacency = network.adjacency
    n = adjacency.shape[0]
    linked = np.diff(adjacency.indptr) > 0
    starts = adjacency.indptr[:-1][linked]
    reciprocal = np.zeros((n, n), dtype=np.float32)
    for first in range(0, n, batch_size):
        width = min(batch_size, n - first)
        bits = np.zeros((n, -(-width // 64) * 64), dtype=bool)
        bits[first + np.arange(width), np.arange(width)] = True
        frontier = np.packbits(bits, axis=1, bitorder="little").view(np.uint64)
        visited = frontier.copy()
        block = reciprocal[first : first + width].T  # view: genes x sources of the batch
        level = 1
        while frontier.any():
            reached = np.zeros_like(frontier)
            reached[linked] = np.bitwise_or.reduceat(frontier[adjacency.indices], starts, axis=0)
            reached &= ~visited
            visited |= reached
            found = np.unpackbits(
                reached.view(np.uint8), axis=1, count=width, bitorder="little"
            ).astype(bool)
            block[found] = 1.0 / level
            frontier = reached
            level += 1
    return reciprocal


def betweenness(
    network: Network, n_sources: int | None = None, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Betweenness centrality of every gene, in `network.genes` order.

    c_B(v) = 2 / ((n - 1)(n - 2)) sum_{s < t; s, t != v} sigma_st(v) / sigma_st, normalized as
    networkx does for undirected graphs. Exact (Brandes' algorithm, by igraph: about 3 min for
    19,000 genes and 450,000 edges) when `n_sources` is None; otherwise the dependencies of
    `n_sources` random pivot sources scaled by n / n_sources, an unbiased estimate (Brandes &
    Pich 2007) that costs n_sources / n of the exact computation.
    """
    n = len(network.genes)
    if n < 3:
        return np.zeros(n)
    rows, cols = sparse.triu(network.adjacency, k=1).nonzero()
    graph = igraph.Graph(n=n, edges=np.column_stack([rows, cols]))
    sources = np.arange(n)
    if n_sources is not None and n_sources < n:
        sources = np.random.default_rng(seed).choice(n, size=n_sources, replace=False)
    dependencies = np.array(graph.betweenness(directed=False, sources=sources.tolist()))
    return dependencies * (n / len(sources)) * 2 / ((n - 1) * (n - 2))


def pair_sums(reciprocal: np.ndarray, sets: np.ndarray, method: str = "auto") -> np.ndarray:
    """S_j = sum_{a < b} R[g_ja, g_jb] over the genes of each gene set (row j of `sets`).

    sets: m x k gene indices (rows of R), distinct within a row. `gather` sums the k x k block of
    R of each set (k^2 scattered reads per set); `matmul` takes the 0/1 indicator matrix X (n x m)
    of a block of sets and computes S = colsum(X * (R X)) / 2 (n^2 multiply-adds per set at matrix
    product speed). `auto` gathers when k < n / 32, below which gathering is the cheaper.
    """
    sets = np.asarray(sets, dtype=np.int64)
    n, (m, k) = reciprocal.shape[0], sets.shape
    if method == "auto":
        method = "gather" if k < n / 32 else "matmul"
    if method == "gather":
        sets = np.sort(sets, axis=1)
        return np.array([reciprocal[np.ix_(s, s)].sum(dtype=np.float64) / 2 for s in sets])
    sums = np.empty(m)
    for first in range(0, m, _SETS_PER_PRODUCT):
        block = sets[first : first + _SETS_PER_PRODUCT].T  # k x columns
        indicator = np.zeros((n, block.shape[1]), dtype=reciprocal.dtype)
        indicator[block, np.arange(block.shape[1])] = 1
        product = reciprocal @ indicator
        member = np.take_along_axis(product, block, axis=0)
        sums[first : first + block.shape[1]] = member.sum(axis=0, dtype=np.float64) / 2
    return sums


def harmonic_distances(
    reciprocal: np.ndarray, sets: np.ndarray, method: str = "auto"
) -> np.ndarray:
    """Harmonic mean of the shortest-path lengths within each gene set (row of `sets`).

    H = C(k, 2) / sum_{a < b} 1/d_ab over the k(k - 1)/2 pairs of the set (`pair_sums`). A
    disconnected pair has 1/d = 0, so it counts as infinitely far without making the mean
    infinite; H is inf only when no pair is connected.
    """
    sets = np.asarray(sets, dtype=np.int64)
    k = sets.shape[1]
    if k < 2 or (np.diff(np.sort(sets, axis=1), axis=1) == 0).any():
        raise InputError(
            "harmonic_distances", f"sets of {k} genes or with repeats", "pass 2 or more genes"
        )
    sums = pair_sums(reciprocal, sets, method)
    with np.errstate(divide="ignore"):
        return k * (k - 1) / 2 / sums
