"""Colocalization of light-up gene rankings in the STRING interactome.

The paper ("First layer associated genes colocalized in the interactome", Fig. 5) takes, for every
hidden node, the top k most influenced genes (k = 100, 200, 400, ..., 6400 and 10,000) and measures
how central they are (mean betweenness centrality) and how close they lie to each other (harmonic
mean of their pairwise shortest-path distances, so that disconnected pairs count). Both are compared
with random gene sets of the same size.
"""

from __future__ import annotations

import csv
import gzip
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse import csgraph

from deepmodules.errors import InputError

LINKS_HEADER = ["protein1", "protein2", "combined_score"]
INFO_COLUMNS = ["#string_protein_id", "preferred_name"]
PAPER_KS = (100, 200, 400, 800, 1600, 3200, 6400, 10000)
_BFS_BATCH = 256  # sources per shortest_path call, bounds memory to _BFS_BATCH x n_genes


@dataclass(frozen=True)
class Network:
    """An undirected, unweighted gene network.

    genes: node names; index: gene -> row of `adjacency`; adjacency: symmetric 0/1 CSR matrix
    (float64, as scipy.sparse.csgraph uses it) without self loops.
    """

    genes: list[str]
    index: dict[str, int]
    adjacency: sparse.csr_array

    @classmethod
    def from_edges(cls, genes: Sequence[str], edges: Iterable[tuple[str, str]]) -> Network:
        """Network on `genes` with the given edges (both directions implied, self loops dropped)."""
        genes = list(genes)
        index = {gene: i for i, gene in enumerate(genes)}
        pairs = np.array([(index[a], index[b]) for a, b in edges], dtype=np.int64).reshape(-1, 2)
        return cls._from_index_pairs(genes, pairs[:, 0], pairs[:, 1])

    @classmethod
    def _from_index_pairs(cls, genes: list[str], rows: np.ndarray, cols: np.ndarray) -> Network:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
        n = len(genes)
        ones = np.ones(2 * len(rows))
        adjacency = sparse.coo_array(
            (ones, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
        ).tocsr()
        adjacency.sum_duplicates()
        adjacency.data[:] = 1
        return cls(genes, {gene: i for i, gene in enumerate(genes)}, adjacency)

    @property
    def n_edges(self) -> int:
        return self.adjacency.nnz // 2


def _check_header(path: str | os.PathLike, found: list[str], expected: list[str]) -> None:
    if found[: len(expected)] != expected:
        raise InputError(
            path,
            f"unexpected header {found!r}, expected it to start with {expected!r}",
            "pass the STRING v12 file itself (9606.protein.links.v12.0.txt.gz / "
            "9606.protein.info.v12.0.txt.gz), not a reformatted copy",
        )


def _first_line(path: str | os.PathLike, sep: str) -> list[str]:
    with gzip.open(path, "rt") as handle:
        return handle.readline().rstrip("\n").split(sep)


def read_string(
    links_path: str | os.PathLike,
    info_path: str | os.PathLike,
    min_score: int = 400,
    genes: Iterable[str] | None = None,
    min_shared_genes: int = 100,
    chunksize: int = 1_000_000,
) -> Network:
    """Gene network from STRING protein links.

    Proteins map to genes by `preferred_name` of the info file; several proteins of one gene become
    one node, and edges between them (self loops) are dropped. Edges with
    `combined_score >= min_score` (STRING scores are 0-1000; 400 is STRING's "medium confidence")
    are kept, unweighted. The nodes are all named STRING proteins' genes (restricted to `genes` when
    given), so genes without a kept edge are isolated nodes: infinitely far from every other gene.
    Proteins of the links file that have no name are counted in a warning and left out.
    """
    _check_header(links_path, _first_line(links_path, " "), LINKS_HEADER)
    _check_header(info_path, _first_line(info_path, "\t"), INFO_COLUMNS)

    info = pd.read_csv(
        info_path, sep="\t", usecols=INFO_COLUMNS, dtype=str, quoting=csv.QUOTE_NONE
    ).dropna()
    protein, name = info[INFO_COLUMNS[0]], info[INFO_COLUMNS[1]].str.strip()
    named = (name != "") & (name != protein)
    symbol_of = pd.Series(name[named].to_numpy(), index=protein[named].to_numpy())

    symbols = set(symbol_of)
    if genes is not None:
        symbols &= set(genes)
    if len(symbols) < min_shared_genes:
        raise InputError(
            info_path,
            f"only {len(symbols)} genes are shared between STRING and the expressed genes "
            f"(need at least {min_shared_genes})",
            "check that genes are HGNC symbols of human (9606) proteins, or lower min_shared_genes",
        )
    gene_list = sorted(symbols)
    node_of = symbol_of.map({gene: i for i, gene in enumerate(gene_list)}).dropna().astype(np.int64)

    rows, cols, unnamed = [], [], set()
    reader = pd.read_csv(
        links_path,
        sep=" ",
        dtype={"protein1": str, "protein2": str},
        chunksize=chunksize,
    )
    for chunk in reader:
        score = pd.to_numeric(chunk["combined_score"], errors="coerce")
        bad = ~score.between(0, 1000)
        if bad.any():
            raise InputError(
                links_path,
                f"combined_score {chunk['combined_score'][bad].iloc[0]!r} is not a number in 0-1000",
                "use the combined_score column of the STRING links file unchanged",
            )
        proteins = pd.unique(pd.concat([chunk["protein1"], chunk["protein2"]]))
        unnamed.update(proteins[~pd.Index(proteins).isin(symbol_of.index)])

        kept = chunk[score >= min_score]
        a = kept["protein1"].map(node_of)
        b = kept["protein2"].map(node_of)
        both = a.notna() & b.notna()
        rows.append(a[both].to_numpy(np.int64))
        cols.append(b[both].to_numpy(np.int64))

    if unnamed:
        warnings.warn(
            f"{links_path}: {len(unnamed)} proteins have no gene name in {info_path}; "
            "their links are left out",
            stacklevel=2,
        )
    return Network._from_index_pairs(
        gene_list,
        np.concatenate(rows) if rows else np.empty(0, np.int64),
        np.concatenate(cols) if cols else np.empty(0, np.int64),
    )


def betweenness(
    network: Network, n_sources: int | None = None, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Betweenness centrality of every gene, in `network.genes` order.

    c_B(v) = sum_{s != v != t} sigma_st(v) / sigma_st, normalized by 2 / ((n - 1)(n - 2)) as
    networkx does for undirected graphs. Exact (Brandes) when `n_sources` is None; otherwise
    estimated from `n_sources` random pivot sources and rescaled to the full graph.
    """
    graph = nx.from_scipy_sparse_array(network.adjacency)
    k = None if n_sources is None or n_sources >= len(network.genes) else n_sources
    seed = None if k is None else int(np.random.default_rng(seed).integers(2**31))
    centrality = nx.betweenness_centrality(graph, k=k, seed=seed, normalized=True)
    return np.array([centrality[i] for i in range(len(network.genes))])


def harmonic_distance(
    network: Network,
    gene_idx: Sequence[int] | np.ndarray,
    max_sources: int | None = None,
    seed: int | np.random.Generator = 0,
) -> float:
    """Harmonic mean of the shortest-path lengths among a set of genes.

    H = n_pairs / sum_{i<j} 1/d_ij over all pairs of the given genes (rows of the network). A
    disconnected pair has 1/d = 0, so it counts as infinitely far without making the mean
    infinite; H is inf only when no pair is connected.

    With `max_sources`, breadth-first searches start from a random subset of that many genes and
    the mean of 1/d is taken over their pairs with every other gene of the set: an unbiased estimate
    of the mean inverse distance, so H is an estimate.
    """
    gene_idx = np.unique(np.asarray(gene_idx, dtype=np.int64))
    n = len(gene_idx)
    if n < 2:
        raise InputError("harmonic_distance", f"got {n} distinct genes", "pass at least two genes")
    sources = gene_idx
    if max_sources is not None and max_sources < n:
        sources = np.random.default_rng(seed).choice(gene_idx, size=max_sources, replace=False)

    inverse_sum = 0.0
    for start in range(0, len(sources), _BFS_BATCH):
        batch = sources[start : start + _BFS_BATCH]
        # the adjacency is symmetric, so directed search gives undirected distances without
        # scipy symmetrizing the matrix on every call
        dist = csgraph.shortest_path(
            network.adjacency, directed=True, unweighted=True, indices=batch
        )[:, gene_idx]
        with np.errstate(divide="ignore"):
            inverse = 1.0 / dist  # inf -> 0 (disconnected); 0 -> inf on the diagonal
        inverse[np.isinf(inverse)] = 0.0
        inverse_sum += inverse.sum()
    mean_inverse = inverse_sum / (len(sources) * (n - 1))
    return np.inf if mean_inverse == 0 else float(1.0 / mean_inverse)


def _capped_ks(ks: Iterable[int], n_mapped: int) -> list[tuple[int, int]]:
    """(requested k, genes used) pairs; ks capped at n_mapped that repeat a size are dropped."""
    pairs, seen = [], set()
    for k in sorted(set(ks)):
        if k < 2:
            raise InputError("colocalization", f"k = {k} is below 2", "use cutoffs of 2 or more")
        n = min(k, n_mapped)
        if n not in seen:
            seen.add(n)
            pairs.append((k, n))
    return pairs


def colocalization(
    rankings: pd.DataFrame,
    network: Network,
    ks: Iterable[int] = PAPER_KS,
    n_null: int = 20,
    max_sources: int | None = None,
    seed: int = 0,
    centrality: np.ndarray | None = None,
) -> pd.DataFrame:
    """Betweenness and harmonic distance of each node's top-k genes against random gene sets.

    rankings: genes (index) x nodes (columns), higher = more influenced by the node. Only genes of
    the network count: for cutoff k a node's gene set is its k highest-ranked network genes, k
    capped at the number of such genes (`n_genes`; cutoffs that cap to the same size keep the
    first). The null for each size is `n_null` uniform random sets of network genes from the ranked
    universe, shared by all nodes. `centrality` is `betweenness(network)` (computed exactly when
    not given; pass it to reuse or to use a sampled estimate).

    Returns one row per node and k: node, k, n_genes, harmonic_distance, betweenness (mean over the
    set), and null_harmonic_distance_mean/_sd and null_betweenness_mean/_sd.
    """
    if rankings.index.has_duplicates:
        raise InputError("rankings", "gene names repeat in the index", "give one row per gene")
    if n_null < 2:
        raise InputError("colocalization", f"n_null = {n_null}", "draw at least 2 null gene sets")
    in_network = rankings.index.isin(list(network.index))
    values = rankings.to_numpy(dtype=float)[in_network]
    if np.isnan(values).any():
        raise InputError("rankings", "contain missing values", "give every gene a score")
    universe = np.array([network.index[g] for g in rankings.index[in_network]], dtype=np.int64)
    if len(universe) < 2:
        raise InputError(
            "rankings", f"{len(universe)} ranked genes are in the network", "check gene names"
        )
    if centrality is None:
        centrality = betweenness(network)

    rng = np.random.default_rng(seed)
    cutoffs = _capped_ks(ks, len(universe))
    null = {}
    for _, n in cutoffs:
        draws = [rng.choice(universe, size=n, replace=False) for _ in range(n_null)]
        distance = [harmonic_distance(network, d, max_sources, rng) for d in draws]
        between = [centrality[d].mean() for d in draws]
        null[n] = [np.mean(distance), np.std(distance, ddof=1)]
        null[n] += [np.mean(between), np.std(between, ddof=1)]

    records = []
    for j, node in enumerate(rankings.columns):
        order = universe[np.argsort(-values[:, j], kind="stable")]
        for k, n in cutoffs:
            top = order[:n]
            distance = harmonic_distance(network, top, max_sources, rng)
            records.append([node, k, n, distance, centrality[top].mean(), *null[n]])
    return pd.DataFrame.from_records(
        records,
        columns=[
            "node",
            "k",
            "n_genes",
            "harmonic_distance",
            "betweenness",
            "null_harmonic_distance_mean",
            "null_harmonic_distance_sd",
            "null_betweenness_mean",
            "null_betweenness_sd",
        ],
    )


def _wilcoxon(differences: pd.Series, alternative: str) -> float:
    """Wilcoxon signed-rank p value; NaN when every difference is zero."""
    if not (differences != 0).any():
        return np.nan
    return float(stats.wilcoxon(differences, alternative=alternative).pvalue)


def summarize_layers(table: pd.DataFrame, by: Sequence[str] = ("layer",)) -> pd.DataFrame:
    """Per layer and k: the nodes' mean distance and betweenness against the random null.

    distance_p_value is the one-sided Wilcoxon signed-rank test over nodes that
    harmonic_distance - null_harmonic_distance_mean < 0 (the layer's gene sets lie closer in the
    interactome than random sets: the paper's layer-vs-null comparison of Fig. 5b-f).
    betweenness_p_value is two-sided, since the paper finds higher-than-random centrality for the
    microarray AE (Fig. 5a) and lower for the RNA-seq one (Fig. 7).
    """
    keys = [*by, "k"]
    needed = {
        "harmonic_distance",
        "betweenness",
        "null_harmonic_distance_mean",
        "null_betweenness_mean",
    }
    missing = {*keys, *needed} - set(table.columns)
    if missing:
        raise InputError(
            "summarize_layers", f"table lacks {sorted(missing)}", "pass colocalization output"
        )
    rows = []
    for key, group in table.groupby(keys, sort=True):
        distance, null_distance = group["harmonic_distance"], group["null_harmonic_distance_mean"]
        between, null_between = group["betweenness"], group["null_betweenness_mean"]
        rows.append(
            [*key, len(group)]
            + [distance.mean(), null_distance.mean(), _wilcoxon(distance - null_distance, "less")]
            + [between.mean(), null_between.mean(), _wilcoxon(between - null_between, "two-sided")]
        )
    return pd.DataFrame(
        rows,
        columns=[
            *keys,
            "n_nodes",
            "harmonic_distance",
            "null_harmonic_distance",
            "distance_p_value",
            "betweenness",
            "null_betweenness",
            "betweenness_p_value",
        ],
    )
