import gzip
import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from deepmodules import figures
from deepmodules.data.stringdb import Network, read_string
from deepmodules.errors import InputError
from deepmodules.interpret.colocalization import (
    NODE_COLUMNS,
    colocalization,
    colocalize_layers,
    degree_bins,
    live_layer_summary,
    null_sets,
    summarize_layers,
)
from deepmodules.interpret.distances import betweenness, harmonic_distances, reciprocal_distances

N_COMMUNITIES, COMMUNITY_SIZE, N_BACKGROUND = 10, 30, 200
# Null-model settings of config ppi the tests do not vary.
NULL = {"null": "uniform", "n_bins": 10, "seed": 0, "n_permutations": 0, "permutation_max_k": 100}


@pytest.fixture(scope="module")
def planted():
    """Ten dense communities of 30 genes and 200 background genes, all sparsely linked."""
    rng = np.random.default_rng(1)
    n = N_COMMUNITIES * COMMUNITY_SIZE + N_BACKGROUND
    community = np.full(n, -1)
    community[: N_COMMUNITIES * COMMUNITY_SIZE] = np.repeat(
        np.arange(N_COMMUNITIES), COMMUNITY_SIZE
    )
    same = (community[:, None] == community[None, :]) & (community[:, None] >= 0)
    linked = np.triu(rng.random((n, n)) < np.where(same, 0.4, 0.006), k=1)
    genes = [f"G{i}" for i in range(n)]
    network = Network.from_edges(
        genes, [(genes[i], genes[j]) for i, j in zip(*np.nonzero(linked), strict=True)]
    )
    return network, community, betweenness(network), reciprocal_distances(network)


def light_up(community, n_nodes, planted_rankings, seed):
    """Gene x node scores; with planted_rankings node j's top genes are community j."""
    rng = np.random.default_rng(seed)
    scores = rng.random((len(community), n_nodes))
    if planted_rankings:
        for j in range(n_nodes):
            scores[community == j, j] += 1.0
    return pd.DataFrame(scores, index=[f"G{i}" for i in range(len(community))])


def layer_summary(planted, rankings, ks, seed=0, **options):
    """summarize_layers of one layer's colocalization (20 null sets) on the planted network."""
    network, _, centrality, reciprocal = planted
    table = colocalization(
        rankings,
        network,
        ks=ks,
        n_null=20,
        centrality=centrality,
        reciprocal=reciprocal,
        **{**NULL, "seed": seed, **options},
    )
    return summarize_layers(table.assign(layer="h1"))


def networkx_harmonic(graph, genes):
    """H of a gene set from networkx shortest paths: C(k, 2) / sum over pairs of 1/d."""
    inverse = 0.0
    for a, b in itertools.combinations(genes, 2):
        if nx.has_path(graph, a, b):
            inverse += 1 / nx.shortest_path_length(graph, a, b)
    return len(genes) * (len(genes) - 1) / 2 / inverse if inverse else np.inf


@pytest.mark.parametrize("method", ["gather", "matmul"])
def test_harmonic_distance_by_hand(method):
    # path a-b-c-d and a separate pair e-f
    network = Network.from_edges("abcdef", [("a", "b"), ("b", "c"), ("c", "d"), ("e", "f")])
    reciprocal = reciprocal_distances(network)
    idx = network.index
    sets = [[idx[g] for g in "abcd"]]
    # d: ab 1, ac 2, ad 3, bc 1, bd 2, cd 1
    expected = 6 / (1 + 1 / 2 + 1 / 3 + 1 + 1 / 2 + 1)
    np.testing.assert_allclose(harmonic_distances(reciprocal, sets, method), [expected])
    # a-d at 3, e infinitely far from both: 3 pairs, one finite
    sets = [[idx["a"], idx["d"], idx["e"]], [idx["e"], idx["f"], idx["b"]]]
    np.testing.assert_allclose(harmonic_distances(reciprocal, sets, method), [9.0, 3.0])
    sets = [[idx["e"], idx["f"]], [idx["a"], idx["e"]]]
    assert harmonic_distances(reciprocal, sets, method).tolist() == [1.0, np.inf]
    with pytest.raises(InputError):
        harmonic_distances(reciprocal, [[0, 0]])


@pytest.mark.parametrize("batch_size", [3, 64, 512])
def test_reciprocal_distances_match_networkx(batch_size):
    graph = nx.disjoint_union(nx.karate_club_graph(), nx.path_graph(70))
    graph.add_nodes_from([200, 201])  # isolated
    network = Network.from_edges(list(graph), graph.edges)
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    expected = np.array(
        [[1 / lengths[u][v] if v in lengths[u] and u != v else 0 for v in graph] for u in graph]
    )
    reciprocal = reciprocal_distances(network, batch_size=batch_size)
    assert reciprocal.dtype == np.float32
    np.testing.assert_allclose(reciprocal, expected, rtol=1e-7)
    empty = Network.from_edges("abc", [])
    assert not reciprocal_distances(empty).any()


@pytest.mark.parametrize("seed", range(3))
def test_harmonic_distances_match_networkx(seed):
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(120, 0.025, seed=seed)  # several components
    network = Network.from_edges(list(graph), graph.edges)
    reciprocal = reciprocal_distances(network)
    sets = np.stack([rng.choice(120, size=15, replace=False) for _ in range(8)])
    expected = [networkx_harmonic(graph, s.tolist()) for s in sets]
    for method in ("gather", "matmul", "auto"):
        np.testing.assert_allclose(
            harmonic_distances(reciprocal, sets, method), expected, rtol=1e-6
        )


def test_from_edges_is_symmetric_unweighted_without_self_loops():
    network = Network.from_edges("abc", [("a", "b"), ("b", "a"), ("a", "b"), ("c", "c")])
    dense = network.adjacency.toarray()
    assert (dense == dense.T).all()
    assert dense.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    assert network.n_edges == 1


def test_betweenness_matches_networkx():
    graph = nx.disjoint_union(nx.karate_club_graph(), nx.path_graph(5))
    network = Network.from_edges(list(graph), graph.edges)
    expected = nx.betweenness_centrality(graph)
    exact = betweenness(network)
    np.testing.assert_allclose(exact, [expected[v] for v in graph], atol=1e-12)
    sampled = betweenness(network, n_sources=25, seed=3)
    assert np.corrcoef(sampled, exact)[0, 1] > 0.9
    assert betweenness(Network.from_edges("ab", [("a", "b")])).tolist() == [0, 0]


def test_degree_null_matches_composition():
    rng = np.random.default_rng(0)
    degree = rng.integers(0, 50, 300)
    bins = degree_bins(degree, 5)
    assert bins.max() == 4
    assert (np.diff(bins[np.argsort(degree)]) >= 0).all()  # bins follow the degree
    universe = np.arange(1000, 1300)
    composition = np.array([3, 0, 10, 5, 2])
    draws = null_sets(universe, 20, 30, rng, bins, composition)
    assert draws.shape == (30, 20)
    for draw in draws:
        assert len(set(draw)) == 20
        np.testing.assert_array_equal(np.bincount(bins[draw - 1000], minlength=5), composition)
    uniform = null_sets(universe, 20, 30, rng)
    assert uniform.shape == (30, 20) and np.isin(uniform, universe).all()


def write_gz(path, lines):
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


@pytest.fixture
def string_files(tmp_path):
    info = write_gz(
        tmp_path / "info.txt.gz",
        [
            "#string_protein_id\tpreferred_name\tprotein_size\tannotation",
            "9606.P1\tA\t100\tkinase; binds 'B'",
            "9606.P2\tB\t200\tisoform one",
            "9606.P3\tB\t210\tisoform two",
            "9606.P4\tC\t300\t-",
            "9606.P5\tD\t400\t-",
            "9606.P6\tE\t500\tno links at all",
        ],
    )
    pairs = [("P1", "P2", 900), ("P2", "P3", 800), ("P1", "P3", 700)]
    pairs += [("P3", "P4", 300), ("P4", "P5", 500), ("P1", "P9", 999)]
    lines = ["protein1 protein2 combined_score"]
    for a, b, score in pairs:
        lines += [f"9606.{a} 9606.{b} {score}", f"9606.{b} 9606.{a} {score}"]
    return write_gz(tmp_path / "links.txt.gz", lines), info


def test_read_string(string_files):
    links, info = string_files
    with pytest.warns(UserWarning, match="1 proteins have no gene name"):
        network = read_string(links, info, min_score=400, min_shared_genes=2)
    assert network.genes == ["A", "B", "C", "D", "E"]  # P2 and P3 are one node, B
    edges = {
        tuple(sorted(network.genes[i] for i in e))
        for e in zip(*network.adjacency.nonzero(), strict=True)
    }
    assert edges == {("A", "B"), ("C", "D")}  # B-B self loop and C-B at 300 dropped
    assert network.n_edges == 2
    assert network.adjacency[[network.index["E"]]].nnz == 0  # a protein without links: isolated

    with pytest.warns(UserWarning):
        restricted = read_string(
            links, info, min_score=400, genes=["A", "B", "X"], min_shared_genes=2
        )
    assert restricted.genes == ["A", "B"]
    assert restricted.n_edges == 1
    with pytest.raises(InputError, match="only 2 genes are shared"):
        read_string(links, info, min_score=400, genes=["A", "B", "X"], min_shared_genes=3)


def test_string_v11_info_header_reads_the_same(string_files, tmp_path):
    links, info = string_files
    with gzip.open(info, "rt") as handle:
        text = handle.read().replace("#string_protein_id", "protein_external_id", 1)
    v11 = tmp_path / "info.v11.txt.gz"
    with gzip.open(v11, "wt") as handle:
        handle.write(text)
    with pytest.warns(UserWarning, match="1 proteins have no gene name"):  # P9: links only
        network = read_string(links, v11, min_score=400, min_shared_genes=2)
    assert network.genes == ["A", "B", "C", "D", "E"] and network.n_edges == 2


def test_read_string_rejects_bad_files(string_files, tmp_path):
    links, info = string_files
    bad_header = write_gz(tmp_path / "bad.txt.gz", ["p1 p2 score", "9606.P1 9606.P2 900"])
    with pytest.raises(InputError, match=r"bad\.txt\.gz: unexpected header"):
        read_string(bad_header, info, min_score=400, min_shared_genes=2)
    with pytest.raises(InputError, match=r"bad\.txt\.gz: unexpected header"):
        read_string(links, bad_header, min_score=400, min_shared_genes=2)
    too_high = write_gz(
        tmp_path / "high.txt.gz", ["protein1 protein2 combined_score", "9606.P1 9606.P2 1200"]
    )
    with pytest.raises(InputError, match="1200"):
        read_string(too_high, info, min_score=400, min_shared_genes=2)


def test_planted_communities_are_closer_than_random(planted):
    network, community, centrality, reciprocal = planted
    rankings = light_up(community, N_COMMUNITIES, planted_rankings=True, seed=0)
    table = colocalization(
        rankings, network, ks=(30,), n_null=20, centrality=centrality, reciprocal=reciprocal, **NULL
    )
    assert len(table) == N_COMMUNITIES
    assert (table["harmonic_distance"] < 1.8).all()
    assert (table["null_harmonic_distance_mean"] > 2.5).all()
    assert table["null_harmonic_distance_mean"].nunique() == 1  # one null shared by all nodes

    summary = summarize_layers(table.assign(layer="h1"))
    assert summary.loc[0, "n_nodes"] == summary.loc[0, "n_closer"] == N_COMMUNITIES
    assert summary.loc[0, "distance_p_value"] < 0.01
    assert np.isnan(summary.loc[0, "permutation_p_value"])  # n_permutations = 0


def test_permutation_test_holds_when_nodes_share_genes(planted):
    """Random layers whose nodes rank nearly the same genes on top (shared random scores plus a
    little node noise): the Wilcoxon test over nodes, which takes them as independent, calls most of
    them closer or farther than random; the permutation test rejects at its nominal rate. Planted
    communities get the smallest permutation p (positive control); cutoffs above
    permutation_max_k are not tested."""
    community = planted[1]
    genes = [f"G{i}" for i in range(len(community))]
    wilcoxon, permutation = [], []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        scores = rng.random((len(genes), 1)) + 0.05 * rng.random((len(genes), 20))
        rankings = pd.DataFrame(scores, index=genes)
        summary = layer_summary(planted, rankings, (30,), seed, n_permutations=99).iloc[0]
        wilcoxon.append(summary["distance_p_value"])
        permutation.append(summary["permutation_p_value"])
    assert np.mean(np.array(wilcoxon) < 0.05) >= 0.5, wilcoxon
    assert np.mean(np.array(permutation) < 0.05) <= 0.15, permutation

    rankings = light_up(community, N_COMMUNITIES, planted_rankings=True, seed=0)
    summary = layer_summary(planted, rankings, (30, 60), n_permutations=99, permutation_max_k=40)
    assert summary["permutation_p_value"].iloc[0] == pytest.approx(0.01)
    assert np.isnan(summary["permutation_p_value"].iloc[1])


def test_random_rankings_are_not_closer_than_random(planted):
    community = planted[1]
    p_values = []
    for seed in range(5):
        rankings = light_up(community, N_COMMUNITIES, planted_rankings=False, seed=seed)
        p_values += layer_summary(planted, rankings, (30, 100), seed)["distance_p_value"].tolist()
    assert np.mean(np.array(p_values) > 0.05) >= 0.8


def test_colocalization_caps_k_and_ignores_genes_outside_network(planted):
    network, community, centrality, reciprocal = planted
    rankings = light_up(community, 2, planted_rankings=True, seed=0)
    outside = pd.DataFrame(10.0, index=["NOT_IN_STRING", "ALSO_NOT"], columns=rankings.columns)
    rankings = pd.concat([outside, rankings])
    table = colocalization(
        rankings,
        network,
        ks=(30, 1000, 2000),
        n_null=3,
        centrality=centrality,
        reciprocal=reciprocal,
        **NULL,
    )
    assert table["k"].tolist() == [30, 1000, 30, 1000]
    assert table["n_genes"].tolist() == [30, len(network.genes)] * 2
    assert table.loc[0, "harmonic_distance"] < 1.8  # the top 30 are still community 0
    assert table.loc[0, "betweenness"] == pytest.approx(centrality[community == 0].mean())


def test_colocalization_rejects_bad_rankings(planted):
    network, community, centrality, reciprocal = planted
    rankings = light_up(community, 1, planted_rankings=False, seed=0)
    with pytest.raises(InputError, match="repeat"):
        colocalization(pd.concat([rankings, rankings]), network, (30,), 20, **NULL)
    with pytest.raises(InputError, match="null"):
        colocalization(rankings, network, (30,), 20, **{**NULL, "null": "shuffled"})
    rankings.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match="missing"):
        colocalization(rankings, network, (30,), 20, centrality=centrality, **NULL)


def test_degree_null_removes_the_hub_bias(planted):
    """Sets of the best-connected genes look close against uniform random genes, not against
    random genes of the same degrees, by either test (the permutations then relabel genes within
    degree bins)."""
    network, _, centrality, reciprocal = planted
    degree = np.diff(network.adjacency.indptr)
    noise = np.random.default_rng(0).random((len(degree), 10))
    rankings = pd.DataFrame(degree[:, None] + 5 * noise, index=network.genes)
    p_values = {}
    for null in ("uniform", "degree"):
        table = colocalization(
            rankings,
            network,
            ks=(40,),
            n_null=50,
            centrality=centrality,
            reciprocal=reciprocal,
            **{**NULL, "null": null, "n_permutations": 99},
        )
        summary = summarize_layers(table.assign(layer="h1")).iloc[0]
        p_values[null] = summary[["distance_p_value", "permutation_p_value"]].to_numpy()
    assert (p_values["uniform"] < 0.02).all()
    assert (p_values["degree"] > 0.05).all()


def test_layer_summary_counts_flat_nodes_and_records_layers_without_live_nodes(planted):
    network, community, centrality, reciprocal = planted
    rankings = light_up(community, 3, planted_rankings=True, seed=0)
    table = colocalization(
        rankings, network, ks=(30,), n_null=5, centrality=centrality, reciprocal=reciprocal, **NULL
    )
    lightup = pd.DataFrame(
        {
            "layer": ["h1", "h2"],
            "n_flat": [1, 4],
            "k": 25,
            "n_distinct_sets": [3, np.nan],
            "n_distinct_genes": [90, np.nan],
            "mean_jaccard": [0.0, np.nan],
            "status": ["lit up", "no live nodes"],
        }
    )
    summary = live_layer_summary(table.assign(layer="h1"), lightup).set_index("layer")
    assert summary.loc["h1", ["status", "n_nodes", "n_flat"]].tolist() == ["tested", 3, 1]
    assert summary.loc["h2", ["status", "n_nodes", "n_flat"]].tolist() == ["no live nodes", 0, 4]
    assert np.isnan(summary.loc["h2", "permutation_p_value"])
    columns = list(summary.columns)
    assert columns.index("permutation_p_value") < columns.index("distance_p_value")

    nothing = live_layer_summary(pd.DataFrame(columns=["layer", *NODE_COLUMNS]), lightup[1:])
    assert nothing[["layer", "status", "n_nodes"]].values.tolist() == [["h2", "no live nodes", 0]]

    figure = figures.ppi_colocalization(table.assign(layer="h1"), summary.reset_index())
    notes = "\n".join(text.get_text() for ax in figure.axes for text in ax.texts)
    assert "h2: 0 live, 4 flat nodes: no live nodes" in notes
    assert "h1: 3 live, 1 flat nodes; 3 distinct top-25 gene sets" in notes


def test_colocalize_layers_tests_each_layer_with_live_nodes_as_colocalization_does(planted):
    """Every layer with live nodes gets the rows of colocalization() (the network's distances and
    betweenness computed once), with its layer; a layer without live nodes gets none."""
    network, community, centrality, reciprocal = planted
    lit = light_up(community, 4, planted_rankings=True, seed=2)
    settings = {
        "ks": [10, 20],
        "n_null": 20,
        "null_model": "uniform",
        "degree_bins": 10,
        "betweenness_sources": None,
        "n_permutations": 0,
        "permutation_max_k": 100,
    }
    table = colocalize_layers(
        {"h1": lit, "h2": lit.iloc[:, :0], "h3": lit.iloc[:, ::-1]}, network, settings, seed=0
    )
    assert list(table.columns) == ["layer", *NODE_COLUMNS]
    assert set(table["layer"]) == {"h1", "h3"}
    direct = colocalization(
        lit, network, ks=[10, 20], n_null=20, centrality=centrality, reciprocal=reciprocal, **NULL
    )
    h1 = table[table["layer"] == "h1"].drop(columns="layer").reset_index(drop=True)
    pd.testing.assert_frame_equal(h1, direct.reset_index(drop=True), check_dtype=False)
