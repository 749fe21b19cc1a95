import gzip

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from deepmodules.errors import InputError
from deepmodules.ppi import (
    Network,
    betweenness,
    colocalization,
    harmonic_distance,
    read_string,
    summarize_layers,
)

N_COMMUNITIES, COMMUNITY_SIZE, N_BACKGROUND = 10, 30, 200


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
    return network, community, betweenness(network)


def light_up(community, n_nodes, planted_rankings, seed):
    """Gene x node scores; with planted_rankings node j's top genes are community j."""
    rng = np.random.default_rng(seed)
    scores = rng.random((len(community), n_nodes))
    if planted_rankings:
        for j in range(n_nodes):
            scores[community == j, j] += 1.0
    return pd.DataFrame(scores, index=[f"G{i}" for i in range(len(community))])


def test_harmonic_distance_by_hand():
    # path a-b-c-d and a separate pair e-f
    network = Network.from_edges("abcdef", [("a", "b"), ("b", "c"), ("c", "d"), ("e", "f")])
    idx = network.index
    path = [idx[g] for g in "abcd"]
    # d: ab 1, ac 2, ad 3, bc 1, bd 2, cd 1
    assert harmonic_distance(network, path) == pytest.approx(
        6 / (1 + 1 / 2 + 1 / 3 + 1 + 1 / 2 + 1)
    )
    # a-d at 3, e infinitely far from both: 3 pairs, one finite
    assert harmonic_distance(network, [idx["a"], idx["d"], idx["e"]]) == pytest.approx(9.0)
    assert harmonic_distance(network, [idx["e"], idx["f"]]) == 1.0
    assert harmonic_distance(network, [idx["a"], idx["e"]]) == np.inf


def test_harmonic_distance_sampled_sources():
    network = Network.from_edges(
        [str(i) for i in range(12)], [(str(i), str(j)) for i in range(12) for j in range(i)]
    )
    assert harmonic_distance(network, range(12), max_sources=3) == 1.0
    path = Network.from_edges("abcd", [("a", "b"), ("b", "c"), ("c", "d")])
    assert harmonic_distance(path, range(4), max_sources=10) == harmonic_distance(path, range(4))
    with pytest.raises(InputError):
        harmonic_distance(path, [0, 0])


def test_from_edges_is_symmetric_unweighted_without_self_loops():
    network = Network.from_edges("abc", [("a", "b"), ("b", "a"), ("a", "b"), ("c", "c")])
    dense = network.adjacency.toarray()
    assert (dense == dense.T).all()
    assert dense.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    assert network.n_edges == 1


def test_betweenness_matches_networkx():
    graph = nx.karate_club_graph()
    genes = [str(v) for v in graph]
    network = Network.from_edges(genes, [(str(u), str(v)) for u, v in graph.edges])
    expected = nx.betweenness_centrality(graph)
    np.testing.assert_allclose(betweenness(network), [expected[v] for v in graph])
    sampled = betweenness(network, n_sources=20, seed=3)
    assert np.corrcoef(sampled, betweenness(network))[0, 1] > 0.9


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
        network = read_string(links, info, min_shared_genes=2)
    assert network.genes == ["A", "B", "C", "D"]
    edges = {
        tuple(sorted(network.genes[i] for i in e))
        for e in zip(*network.adjacency.nonzero(), strict=True)
    }
    assert edges == {("A", "B"), ("C", "D")}  # B-B self loop and C-B at 300 dropped
    assert network.n_edges == 2

    with pytest.warns(UserWarning):
        restricted = read_string(links, info, genes=["A", "B", "X"], min_shared_genes=2)
    assert restricted.genes == ["A", "B"]
    assert restricted.n_edges == 1
    with pytest.raises(InputError, match="only 2 genes are shared"):
        read_string(links, info, genes=["A", "B", "X"], min_shared_genes=3)


def test_read_string_rejects_bad_files(string_files, tmp_path):
    links, info = string_files
    bad_header = write_gz(tmp_path / "bad.txt.gz", ["p1 p2 score", "9606.P1 9606.P2 900"])
    with pytest.raises(InputError, match=r"bad\.txt\.gz: unexpected header"):
        read_string(bad_header, info, min_shared_genes=2)
    with pytest.raises(InputError, match=r"bad\.txt\.gz: unexpected header"):
        read_string(links, bad_header, min_shared_genes=2)
    too_high = write_gz(
        tmp_path / "high.txt.gz", ["protein1 protein2 combined_score", "9606.P1 9606.P2 1200"]
    )
    with pytest.raises(InputError, match="1200"):
        read_string(too_high, info, min_shared_genes=2)


def test_planted_communities_are_closer_than_random(planted):
    network, community, centrality = planted
    rankings = light_up(community, N_COMMUNITIES, planted_rankings=True, seed=0)
    table = colocalization(rankings, network, ks=(30,), n_null=20, centrality=centrality)
    assert len(table) == N_COMMUNITIES
    assert (table["harmonic_distance"] < 1.8).all()
    assert (table["null_harmonic_distance_mean"] > 2.5).all()
    assert table["null_harmonic_distance_mean"].nunique() == 1  # one null shared by all nodes

    summary = summarize_layers(table.assign(layer="h1"))
    assert summary.loc[0, "n_nodes"] == N_COMMUNITIES
    assert summary.loc[0, "distance_p_value"] < 0.01


def test_random_rankings_are_not_closer_than_random(planted):
    network, community, centrality = planted
    p_values = []
    for seed in range(5):
        rankings = light_up(community, N_COMMUNITIES, planted_rankings=False, seed=seed)
        table = colocalization(
            rankings, network, ks=(30, 100), n_null=20, seed=seed, centrality=centrality
        )
        p_values += summarize_layers(table.assign(layer="h3"))["distance_p_value"].tolist()
    assert np.mean(np.array(p_values) > 0.05) >= 0.8


def test_colocalization_caps_k_and_ignores_genes_outside_network(planted):
    network, community, centrality = planted
    rankings = light_up(community, 2, planted_rankings=True, seed=0)
    outside = pd.DataFrame(10.0, index=["NOT_IN_STRING", "ALSO_NOT"], columns=rankings.columns)
    rankings = pd.concat([outside, rankings])
    table = colocalization(
        rankings, network, ks=(30, 1000, 2000), n_null=3, max_sources=20, centrality=centrality
    )
    assert table["k"].tolist() == [30, 1000, 30, 1000]
    assert table["n_genes"].tolist() == [30, len(network.genes)] * 2
    assert table.loc[0, "harmonic_distance"] < 1.8  # the top 30 are still community 0
    assert table.loc[0, "betweenness"] == pytest.approx(centrality[community == 0].mean())


def test_colocalization_rejects_bad_rankings(planted):
    network, community, centrality = planted
    rankings = light_up(community, 1, planted_rankings=False, seed=0)
    with pytest.raises(InputError, match="repeat"):
        colocalization(pd.concat([rankings, rankings]), network, centrality=centrality)
    rankings.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match="missing"):
        colocalization(rankings, network, centrality=centrality)
