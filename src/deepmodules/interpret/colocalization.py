"""Colocalization of light-up gene rankings in the STRING interactome.

The paper ("First layer associated genes colocalized in the interactome", Fig. 5) takes, for every
hidden node, the top k most influenced genes (k = 100, 200, 400, ..., 6400 and 10,000) and measures
how central they are (mean betweenness centrality) and how close they lie to each other (harmonic
mean of their pairwise shortest-path distances, so that disconnected pairs count). Both are compared
with random gene sets of the same size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from deepmodules.data.stringdb import Network
from deepmodules.errors import InputError
from deepmodules.interpret.distances import betweenness, harmonic_distances, reciprocal_distances

log = logging.getLogger(__name__)

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
    ks: Iterable[int],
    n_null: int,
    null: str,
    n_bins: int,
    seed: int,
    *,
    n_permutations: int,
    permutation_max_k: int,
    centrality: np.ndarray | None = None,
    reciprocal: np.ndarray | None = None,
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


def colocalize_layers(
    lightups: dict[str, pd.DataFrame],
    network: Network,
    settings: dict,
    seed: int,
) -> pd.DataFrame:
    """:func:`colocalization` of every layer's live nodes (``lightups``: layer -> light-up table, genes ×
    live nodes), with a layer column; the distances and betweenness are computed once for all layers.

    ``settings`` is the ``ppi`` section. A layer without live nodes is left out (and logged).
    """
    start = time.perf_counter()
    reciprocal = reciprocal_distances(network)
    log.info("all-pairs distances in %.1f s", time.perf_counter() - start)
    start = time.perf_counter()
    centrality = betweenness(network, settings["betweenness_sources"], seed=seed)
    log.info("betweenness in %.1f s", time.perf_counter() - start)
    tables = []
    for layer, lightup in lightups.items():
        if lightup.shape[1] == 0:
            log.warning("%s: no live nodes, left out of the colocalization", layer)
            continue
        start = time.perf_counter()
        table = colocalization(
            lightup,
            network,
            ks=settings["ks"],
            n_null=settings["n_null"],
            null=settings["null_model"],
            n_bins=settings["degree_bins"],
            seed=seed,
            centrality=centrality,
            reciprocal=reciprocal,
            n_permutations=settings["n_permutations"],
            permutation_max_k=settings["permutation_max_k"],
        )
        log.info(
            "%s: %d live nodes, %d gene sets in %.1f s",
            layer,
            lightup.shape[1],
            len(table),
            time.perf_counter() - start,
        )
        tables.append(table.assign(layer=layer))
    columns = ["layer", *NODE_COLUMNS]
    return pd.concat(tables)[columns] if tables else pd.DataFrame(columns=columns)
