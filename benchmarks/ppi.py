"""Wall time and peak memory of the PPI colocalization stage on a STRING-sized network.

    python benchmarks/ppi.py            # 19,000 genes, ~450,000 edges, 3 layers x 512 nodes, 8 cutoffs
    python benchmarks/ppi.py --quick    # 3,000 genes, 3 layers x 64 nodes (under a minute)

The network has planted communities of 50 genes (200,000 drawn within-community links) and 300,000
links drawn between genes chosen with heavy-tailed (Pareto, shape 2) weights, like STRING's degree
distribution; duplicates merge, leaving about 450,000 edges. Each layer ranks the genes by random
scores; in h1 every node's scores are raised on one community. The stage is timed as the workflow
runs it (`workflow/scripts/ppi_colocalization.py`): all-pairs distances, exact betweenness and
every node's top-k sets plus the null and the layer-level permutation test (the paper
configuration's 19 permutations at k = 100), for all layers. Peak memory is the process's maximum
resident set size at the end of the stage.

The same quantities with pure networkx (all-pairs breadth-first search, then Brandes' exact
betweenness) are timed on a random subsample of sources and extrapolated linearly to all genes:
both loop over sources, each source costing one search of the whole graph. The extrapolation leaves
out networkx's per-set summing of distances, so the networkx time is a lower bound. The harmonic
distance of a few random sets is checked against networkx distances, and betweenness sampled from
`--pivots` sources (`ppi.betweenness_sources`) against the exact one, as the largest relative error
of a node's mean over its top-k genes (smallest k). One JSON line is printed last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import networkx as nx
import numpy as np
import pandas as pd

from deepmodules.data.stringdb import Network
from deepmodules.interpret.colocalization import colocalization
from deepmodules.interpret.distances import betweenness, harmonic_distances, reciprocal_distances

# The paper's cutoffs, the default of config ppi.ks.
PAPER_KS = (100, 200, 400, 800, 1600, 3200, 6400, 10000)
FULL = {"n_genes": 19_000, "n_nodes": 512, "ks": PAPER_KS, "nx_sources": 30}
QUICK = {"n_genes": 3_000, "n_nodes": 64, "ks": (100, 200, 400, 800, 1600), "nx_sources": 30}
TARGET_S, TARGET_GIB = 300.0, 4.0
COMMUNITY = 50


def string_like_network(n_genes: int, rng: np.random.Generator) -> tuple[Network, np.ndarray]:
    """Planted communities plus heavy-tailed random links, ~23.7 edges per gene; and the communities."""
    scale = n_genes / 19_000
    n_communities = n_genes // (COMMUNITY + COMMUNITY // 4)
    communities = rng.permutation(n_genes)[: n_communities * COMMUNITY]
    communities = communities.reshape(n_communities, COMMUNITY)
    which = rng.integers(0, n_communities, int(200_000 * scale))
    inside = communities[which, rng.integers(0, COMMUNITY, (2, len(which)))]
    weight = rng.pareto(2.0, n_genes) + 1
    random = rng.choice(n_genes, size=(2, int(300_000 * scale)), p=weight / weight.sum())
    rows, cols = np.concatenate([inside, random], axis=1)
    genes = [f"G{i}" for i in range(n_genes)]
    edges = zip(np.take(genes, rows), np.take(genes, cols), strict=True)
    return Network.from_edges(genes, edges), communities


def layer_rankings(
    network: Network, communities: np.ndarray, n_nodes: int, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Random gene scores per layer; in h1 node j's scores are raised on community j."""
    rankings = {}
    for layer in ("h1", "h2", "h3"):
        scores = rng.random((len(network.genes), n_nodes), dtype=np.float32)
        if layer == "h1":
            for j in range(n_nodes):
                scores[communities[j % len(communities)], j] += 1
        columns = [f"{layer}_{j + 1}" for j in range(n_nodes)]
        rankings[layer] = pd.DataFrame(scores, index=network.genes, columns=columns)
    return rankings


def fast_stage(network, rankings, ks, n_null, n_permutations, permutation_max_k):
    """The stage as the workflow runs it, exact betweenness; returns timings in seconds."""
    times = {}
    start = time.perf_counter()
    reciprocal = reciprocal_distances(network)
    times["distances_s"] = time.perf_counter() - start
    start = time.perf_counter()
    centrality = betweenness(network)
    times["betweenness_s"] = time.perf_counter() - start
    start = time.perf_counter()
    for table in rankings.values():
        colocalization(
            table,
            network,
            ks,
            n_null,
            "uniform",
            10,
            0,
            centrality=centrality,
            reciprocal=reciprocal,
            n_permutations=n_permutations,
            permutation_max_k=permutation_max_k,
        )
    times["gene_sets_s"] = time.perf_counter() - start
    times["stage_s"] = sum(times.values())
    return times, reciprocal, centrality


def universe_top(rankings: pd.DataFrame, network: Network, k: int) -> np.ndarray:
    """Network indices of every node's top k genes (nodes x k)."""
    order = np.argsort(-rankings.to_numpy(), axis=0, kind="stable")[:k].T
    return np.array([network.index[g] for g in rankings.index])[order]


def networkx_estimate(network, n_sources, rng):
    """Seconds for all-pairs BFS and exact betweenness in networkx, extrapolated from n_sources."""
    graph = nx.from_scipy_sparse_array(network.adjacency)
    n = graph.number_of_nodes()
    sources = rng.choice(n, size=n_sources, replace=False)
    start = time.perf_counter()
    for source in sources:
        nx.single_source_shortest_path_length(graph, int(source))
    bfs = (time.perf_counter() - start) * n / n_sources
    start = time.perf_counter()
    nx.betweenness_centrality(graph, k=n_sources, seed=int(rng.integers(2**31)))
    brandes = (time.perf_counter() - start) * n / n_sources
    return graph, {"networkx_distances_s": bfs, "networkx_betweenness_s": brandes}


def check_against_networkx(graph, reciprocal, rng, n_sets=2, size=50):
    """Largest relative difference of H on random sets between the fast path and networkx BFS."""
    worst = 0.0
    for _ in range(n_sets):
        genes = rng.choice(graph.number_of_nodes(), size=size, replace=False).tolist()
        inverse = 0.0
        for i, a in enumerate(genes):
            lengths = nx.single_source_shortest_path_length(graph, a)
            inverse += sum(1 / lengths[b] for b in genes[i + 1 :] if b in lengths)
        expected = size * (size - 1) / 2 / inverse
        fast = harmonic_distances(reciprocal, np.array([genes]))[0]
        worst = max(worst, abs(fast - expected) / expected)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 3,000-gene network")
    parser.add_argument("--n-null", type=int, default=100, help="null sets per cutoff")
    parser.add_argument(
        "--pivots", type=int, default=2000, help="pivots of the sampled betweenness compared"
    )
    parser.add_argument(
        "--n-permutations", type=int, default=19, help="layer-level permutations (paper config)"
    )
    parser.add_argument(
        "--permutation-max-k", type=int, default=100, help="largest k permuted (paper config)"
    )
    args = parser.parse_args()
    setup = QUICK if args.quick else FULL
    rng = np.random.default_rng(0)

    network, communities = string_like_network(setup["n_genes"], rng)
    rankings = layer_rankings(network, communities, setup["n_nodes"], rng)
    n_sets = len(rankings) * setup["n_nodes"] * len(setup["ks"])
    times, reciprocal, exact = fast_stage(
        network,
        rankings,
        setup["ks"],
        args.n_null,
        args.n_permutations,
        args.permutation_max_k,
    )
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    start = time.perf_counter()
    sampled = betweenness(network, args.pivots)
    sampled_s = time.perf_counter() - start
    sets = [universe_top(table, network, min(setup["ks"])) for table in rankings.values()]
    set_error = [np.abs(sampled[s].mean(1) / exact[s].mean(1) - 1).max() for s in sets]

    graph, nx_times = networkx_estimate(network, setup["nx_sources"], rng)
    nx_total = sum(nx_times.values())
    relative_error = check_against_networkx(graph, reciprocal, rng)

    result = {
        "benchmark": "ppi_colocalization",
        "quick": args.quick,
        "genes": len(network.genes),
        "edges": network.n_edges,
        "layers": len(rankings),
        "nodes_per_layer": setup["n_nodes"],
        "ks": list(setup["ks"]),
        "n_null": args.n_null,
        "n_permutations": args.n_permutations,
        "permutation_max_k": args.permutation_max_k,
        "gene_sets": n_sets + len(rankings) * len(setup["ks"]) * args.n_null,
        **{key: round(value, 1) for key, value in times.items()},
        "peak_memory_gib": round(peak_gib, 2),
        "pivots": args.pivots,
        "sampled_betweenness_s": round(sampled_s, 1),
        "stage_with_sampled_betweenness_s": round(
            times["stage_s"] - times["betweenness_s"] + sampled_s, 1
        ),
        "sampled_betweenness_set_max_relative_error": float(f"{max(set_error):.2g}"),
        **{key: round(value, 1) for key, value in nx_times.items()},
        "networkx_sampled_sources": setup["nx_sources"],
        "speedup_vs_networkx_at_least": round(nx_total / times["stage_s"], 1),
        "harmonic_max_relative_error": float(f"{relative_error:.2g}"),
        "target_s": TARGET_S,
        "target_gib": TARGET_GIB,
        "passed": times["stage_s"] < TARGET_S and peak_gib < TARGET_GIB,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
