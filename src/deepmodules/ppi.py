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

import igraph
import numpy as np
import pandas as pd
from scipy import sparse, stats

from deepmodules.errors import InputError, readable

LINKS_HEADER = ["protein1", "protein2", "combined_score"]
# The protein id column of the info file is named differently across STRING versions (v11: the last).
INFO_ID_COLUMNS = ("#string_protein_id", "string_protein_id", "protein_external_id")
INFO_NAME_COLUMN = "preferred_name"
PAPER_KS = (100, 200, 400, 800, 1600, 3200, 6400, 10000)
NODE_COLUMNS = [
    "node",
    "k",
    "n_genes",
    "harmonic_distance",
    "betweenness",
    "null_harmonic_distance_mean",
    "null_harmonic_distance_sd",
    "null_betweenness_mean",
    "null_betweenness_sd",
    "permutation_p_value",
]  # the columns of colocalization(), one row per node and k
_SETS_PER_PRODUCT = 512  # gene sets per matrix product in pair_sums, bounds memory to 512 x n


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
    with readable(path), gzip.open(path, "rt") as handle:
        return handle.readline().rstrip("\r\n").split(sep)


def read_string_names(info_path: str | os.PathLike) -> pd.Series:
    """Gene symbol of every named protein of a STRING info file, indexed by protein id.

    The id column may be ``#string_protein_id`` (v11.5, v12) or ``protein_external_id`` (v11);
    the symbol is ``preferred_name``. Proteins whose name is empty or the id itself are left out; a
    protein listed twice keeps its first name.
    """
    header = _first_line(info_path, "\t")
    if header[0] not in INFO_ID_COLUMNS or header[1:2] != [INFO_NAME_COLUMN]:
        _check_header(info_path, header, [INFO_ID_COLUMNS[0], INFO_NAME_COLUMN])
    with readable(info_path):
        info = pd.read_csv(
            info_path, sep="\t", usecols=header[:2], dtype=str, quoting=csv.QUOTE_NONE
        ).dropna()
    protein, name = info[header[0]], info[INFO_NAME_COLUMN].str.strip()
    named = (name != "") & (name != protein) & ~protein.duplicated()
    return pd.Series(name[named].to_numpy(), index=protein[named].to_numpy())


def read_string(
    links_path: str | os.PathLike,
    info_path: str | os.PathLike,
    min_score: int = 400,
    genes: Iterable[str] | None = None,
    min_shared_genes: int = 100,
    chunksize: int = 1_000_000,
) -> Network:
    """Gene network from STRING protein links.

    Proteins map to genes by `preferred_name` of the info file (:func:`read_string_names`); several
    proteins of one gene (isoforms, or one symbol given to two ids) become one node, its edges the
    union of theirs, and edges between them (self loops) are dropped. Edges with
    `combined_score >= min_score` (STRING scores are 0-1000; 400 is STRING's "medium confidence")
    are kept, unweighted. The nodes are all named STRING proteins' genes (restricted to `genes` when
    given), so genes without a kept edge, or without any link, are isolated nodes: infinitely far
    from every other gene. Proteins of the links file that are not in the info file, or have no
    name there, are counted in a warning and their links left out.

    A network without any kept edge would put every gene infinitely far from every other and is
    refused: a links file with a header and no links, scores on 0-1 instead of 0-1000, a
    ``min_score`` above every score, or no kept link between two of ``genes``.
    """
    _check_header(links_path, _first_line(links_path, " "), LINKS_HEADER)
    symbol_of = read_string_names(info_path)

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
    n_links, n_kept, top_score = 0, 0, 0.0
    with readable(links_path):
        reader = pd.read_csv(
            links_path, sep=" ", dtype={"protein1": str, "protein2": str}, chunksize=chunksize
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
            n_links, n_kept = n_links + len(chunk), n_kept + len(kept)
            top_score = max(top_score, float(score.max()))
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
    network = Network._from_index_pairs(
        gene_list,
        np.concatenate(rows) if rows else np.empty(0, np.int64),
        np.concatenate(cols) if cols else np.empty(0, np.int64),
    )
    if network.n_edges == 0:
        raise InputError(links_path, *_no_edges(n_links, n_kept, top_score, min_score))
    return network


def _no_edges(n_links: int, n_kept: int, top_score: float, min_score: int) -> tuple[str, str]:
    """The problem and the fix of a network left without edges."""
    if n_links == 0:
        return "has a header but no links", "pass the full STRING links file"
    if n_kept == 0 and top_score <= 1:
        return (
            f"scores are on 0-1 (highest {top_score:g}), STRING's combined_score is on 0-1000, so no "
            f"link reaches min_score = {min_score}",
            "use STRING's integer combined_score (0-1000) unchanged, not a probability",
        )
    if n_kept == 0:
        return (
            f"none of its {n_links} links has combined_score >= min_score = {min_score} "
            f"(highest {top_score:g})",
            "lower network.min_score",
        )
    return (
        f"none of the {n_kept} links with combined_score >= {min_score} joins two genes of the "
        "expression matrix",
        "check that the network and the matrix use the same gene symbols (human HGNC)",
    )


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


def degree_bins(degree: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each gene: `n_bins` quantile bins of the degree, equal degrees in the same bin."""
    edges = np.unique(np.quantile(degree, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, degree, side="left")


def null_sets(
    universe: np.ndarray,
    size: int,
    n_null: int,
    rng: np.random.Generator,
    bins: np.ndarray | None = None,
    composition: np.ndarray | None = None,
) -> np.ndarray:
    """`n_null` random gene sets (rows) of `size` genes of `universe`, drawn without replacement.

    Uniform without `bins`; with `bins` (the degree bin of each universe gene) each set holds
    composition[b] genes of bin b, drawn uniformly within the bin.
    """
    if bins is None:
        return np.stack([rng.choice(universe, size=size, replace=False) for _ in range(n_null)])
    members = [universe[bins == b] for b in range(len(composition))]

    def draw() -> np.ndarray:
        picks = zip(members, composition, strict=True)
        return np.concatenate([rng.choice(genes, size=c, replace=False) for genes, c in picks])

    return np.stack([draw() for _ in range(n_null)])


def _mean_composition(set_bins: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean count per bin over the rows of `set_bins`, rounded to integers with the same sum."""
    mean = np.mean([np.bincount(row, minlength=n_bins) for row in set_bins], axis=0)
    counts = np.floor(mean).astype(np.int64)
    rest = set_bins.shape[1] - counts.sum()
    counts[np.argsort(counts - mean, kind="stable")[:rest]] += 1
    return counts


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
    null: str = "uniform",
    n_bins: int = 10,
    seed: int = 0,
    centrality: np.ndarray | None = None,
    reciprocal: np.ndarray | None = None,
    n_permutations: int = 0,
    permutation_max_k: int = 100,
) -> pd.DataFrame:
    """Betweenness and harmonic distance of each node's top-k genes against random gene sets.

    rankings: genes (index) x nodes (columns), higher = more influenced by the node. Only genes of
    the network count: for cutoff k a node's gene set is its k highest-ranked network genes, k
    capped at the number of such genes (`n_genes`; cutoffs that cap to the same size keep the
    first). The null for each size is `n_null` random sets of ranked network genes, shared by all
    nodes: uniform (`null="uniform"`), or with the degree composition of the nodes' sets
    (`null="degree"`: genes in `n_bins` degree quantile bins, each set holding the nodes' mean
    count per bin, drawn within bins). `centrality` (`betweenness(network)`) and `reciprocal`
    (`reciprocal_distances(network)`) are computed once per network and may be passed in.

    The nodes' sets share genes, so their distances are not independent draws. A layer-level test
    that keeps this dependence relabels the ranked network genes at random (`n_permutations` times;
    within degree bins for `null="degree"`), which moves every node's set together, and compares
    the layer's mean harmonic distance over nodes with its permutation distribution:
    p = (1 + #{permuted mean <= observed mean}) / (1 + n_permutations), for cutoffs of at most
    `permutation_max_k` genes (the cost grows with the square of the set size); NaN where not
    computed.

    Returns one row per node and k: node, k, n_genes, harmonic_distance, betweenness (mean over the
    set), null_harmonic_distance_mean/_sd and null_betweenness_mean/_sd, and the layer's
    permutation_p_value (the same on every row of a k).
    """
    if rankings.index.has_duplicates:
        raise InputError("rankings", "gene names repeat in the index", "give one row per gene")
    if n_null < 2:
        raise InputError("colocalization", f"n_null = {n_null}", "draw at least 2 null gene sets")
    if null not in ("uniform", "degree"):
        raise InputError("colocalization", f"null = {null!r}", "use 'uniform' or 'degree'")
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
    if reciprocal is None:
        reciprocal = reciprocal_distances(network)

    rng = np.random.default_rng(seed)
    permutation_rng = np.random.default_rng(seed).spawn(1)[0]
    position = np.argsort(-values, axis=0, kind="stable")  # universe positions, best first
    degree = np.diff(network.adjacency.indptr)[universe]
    bins = degree_bins(degree, n_bins) if null == "degree" else None
    tables = []
    for k, n in _capped_ks(ks, len(universe)):
        top = position[:n].T  # nodes x n
        sets = universe[top]
        composition = None if bins is None else _mean_composition(bins[top], bins.max() + 1)
        draws = null_sets(universe, n, n_null, rng, bins, composition)
        null_distance = harmonic_distances(reciprocal, draws)
        null_between = centrality[draws].mean(axis=1)
        distance = harmonic_distances(reciprocal, sets)
        p_value = np.nan
        if n_permutations and n <= permutation_max_k:
            p_value = _permutation_p_value(
                reciprocal, sets, distance.mean(), universe, bins, n_permutations, permutation_rng
            )
        tables.append(
            pd.DataFrame(
                {
                    "node": rankings.columns,
                    "k": k,
                    "n_genes": n,
                    "harmonic_distance": distance,
                    "betweenness": centrality[sets].mean(axis=1),
                    "null_harmonic_distance_mean": null_distance.mean(),
                    "null_harmonic_distance_sd": null_distance.std(ddof=1),
                    "null_betweenness_mean": null_between.mean(),
                    "null_betweenness_sd": null_between.std(ddof=1),
                    "permutation_p_value": p_value,
                }
            )
        )
    table = pd.concat(tables, ignore_index=True)
    order = np.lexsort((table["k"], pd.Index(rankings.columns).get_indexer(table["node"])))
    return table.iloc[order].reset_index(drop=True)


def _permutation_p_value(
    reciprocal: np.ndarray,
    sets: np.ndarray,
    observed: float,
    universe: np.ndarray,
    bins: np.ndarray | None,
    n_permutations: int,
    rng: np.random.Generator,
) -> float:
    """P of the layer's mean harmonic distance under random relabelings of the universe genes."""
    relabel = np.arange(reciprocal.shape[0])
    groups = [universe] if bins is None else [universe[bins == b] for b in np.unique(bins)]
    as_close = 0
    for _ in range(n_permutations):
        for genes in groups:
            relabel[genes] = rng.permutation(genes)
        as_close += harmonic_distances(reciprocal, relabel[sets]).mean() <= observed
    return (1 + as_close) / (1 + n_permutations)


def _wilcoxon(differences: pd.Series, alternative: str) -> float:
    """Wilcoxon signed-rank p value; NaN when every difference is zero."""
    if not (differences != 0).any():
        return np.nan
    return float(stats.wilcoxon(differences, alternative=alternative).pvalue)


def summarize_layers(table: pd.DataFrame, by: Sequence[str] = ("layer",)) -> pd.DataFrame:
    """Per layer and k: the nodes' mean distance and betweenness against the random null.

    The layer's test is permutation_p_value (from :func:`colocalization`, gene relabelings that move
    all the nodes' sets together), the column next to the distances. distance_p_value, secondary, is
    the one-sided Wilcoxon signed-rank test over nodes that
    harmonic_distance - null_harmonic_distance_mean < 0 (the layer's gene sets lie closer in the
    interactome than random sets: the paper's layer-vs-null comparison of Fig. 5b-f). The test
    takes the nodes as independent, but nodes of a layer share top genes (a gene's output bias
    ranks it high for every node), which makes it anti-conservative; the permutation test holds
    under that dependence. n_closer counts the nodes that are closer on their own:
    harmonic_distance < null mean - 2 null sd. betweenness_p_value is two-sided, since the paper
    finds higher-than-random centrality for the microarray AE (Fig. 5a) and lower for the RNA-seq
    one (Fig. 7).
    """
    keys = [*by, "k"]
    needed = {
        "harmonic_distance",
        "betweenness",
        "null_harmonic_distance_mean",
        "null_harmonic_distance_sd",
        "null_betweenness_mean",
        "permutation_p_value",
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
        closer = distance < null_distance - 2 * group["null_harmonic_distance_sd"]
        rows.append(
            [*key, len(group)]
            + [distance.mean(), null_distance.mean(), group["permutation_p_value"].iloc[0]]
            + [int(closer.sum()), _wilcoxon(distance - null_distance, "less")]
            + [between.mean(), null_between.mean(), _wilcoxon(between - null_between, "two-sided")]
        )
    return pd.DataFrame(
        rows,
        columns=[
            *keys,
            "n_nodes",
            "harmonic_distance",
            "null_harmonic_distance",
            "permutation_p_value",
            "n_closer",
            "distance_p_value",
            "betweenness",
            "null_betweenness",
            "betweenness_p_value",
        ],
    )


def live_layer_summary(table: pd.DataFrame, lightup: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarize_layers` of the live nodes of each layer, beside the layer's light-up counts.

    table: :func:`colocalization` rows of the layers with live nodes, with a layer column (no rows,
    with the columns of :data:`NODE_COLUMNS`, when no layer has a live node);
    lightup: one row per layer of the light-up diversity table (layer, n_flat, k, n_distinct_sets,
    n_distinct_genes, mean_jaccard, status; k becomes lightup_k). Every layer of ``lightup`` gets rows: n_nodes counts
    its live nodes, n_flat the flat nodes left out, and a layer without live nodes is one row with
    status ``no live nodes`` and no statistics.
    """
    summary = summarize_layers(table)
    columns = ["layer", "n_flat", "k", "n_distinct_sets", "n_distinct_genes", "mean_jaccard"]
    counts = lightup[[*columns, "status"]].rename(columns={"k": "lightup_k"})
    merged = counts.merge(summary, on="layer", how="left")
    merged["status"] = merged["status"].where(merged["status"] != "lit up", "tested")
    merged["n_nodes"] = merged["n_nodes"].fillna(0).astype(int)
    first = ["layer", "k", "status", "n_nodes", "n_flat"]
    return merged[[*first, *[c for c in merged.columns if c not in first]]]
