import keras
import numpy as np
import pandas as pd
import pytest

from deepmodules.data.stringdb import Network
from deepmodules.errors import InputError
from deepmodules.interpret.colocalization import colocalization, summarize_layers
from deepmodules.interpret.lightup import (
    diversity,
    layer_diversity,
    lightup,
    mean_pairwise_jaccard,
    node_rankings,
    read_lightup,
)
from deepmodules.model.activity import mark_flat, node_activity
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, dense_layers
from deepmodules.model.network import DenseLayer


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def tiny_network():
    """genes(3) -> h1(2) -> h2(2) -> output(3), weights chosen by hand."""
    h1 = DenseLayer("h1", np.zeros((3, 2)), np.zeros(2), "sigmoid")
    h2 = DenseLayer("h2", np.array([[2.0, -1.0], [0.5, 1.0]]), np.array([0.0, 0.5]), "sigmoid")
    out = DenseLayer(
        "output",
        np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0]]),
        np.array([0.1, 0.0, 0.0]),
        "sigmoid",
    )
    return [h1, h2, out]


def test_lightup_matches_hand_computation():
    table = lightup(
        tiny_network(),
        "h1",
        ["A", "B", "C"],
        method="paper",
        max_activation=1.0,
        direction="signed",
    )
    # node 1 of h1 lit: x_h1 = (1, 0) -> x_h2 = sigmoid((2, -1) + (0, 0.5)) -> output.
    x2 = sigmoid(np.array([2.0, -0.5]))
    expected_1 = sigmoid(np.array([x2[0] + 0.1, 2 * x2[1], -x2[0] + x2[1]]))
    x2 = sigmoid(np.array([0.5, 1.5]))
    expected_2 = sigmoid(np.array([x2[0] + 0.1, 2 * x2[1], -x2[0] + x2[1]]))
    np.testing.assert_allclose(table["h1_1"], expected_1)
    np.testing.assert_allclose(table["h1_2"], expected_2)
    assert list(table.index) == ["A", "B", "C"]


def test_lightup_of_last_hidden_layer_uses_output_layer_only():
    table = lightup(
        tiny_network(),
        "h2",
        ["A", "B", "C"],
        max_activation=0.5,
        method="paper",
        direction="signed",
    )
    np.testing.assert_allclose(table["h2_2"], sigmoid(np.array([0.1, 1.0, 0.5])))


def test_lightup_agrees_with_keras_forward_pass():
    model = build_autoencoder(6, parse_model_id("deep4"), seed=0)
    layers = dense_layers(model)
    table = lightup(
        layers,
        "h2",
        [f"g{i}" for i in range(6)],
        method="paper",
        max_activation=1.0,
        direction="signed",
    )
    h3 = model.get_layer("h3")
    output = model.get_layer("output")
    expected = keras.ops.convert_to_numpy(output(h3(np.eye(4, dtype="float32"))))
    np.testing.assert_allclose(table.to_numpy().T, expected, rtol=1e-5)


def test_baseline_lightup_is_the_change_from_the_baseline_output():
    layers, b = tiny_network(), np.array([0.3, 0.6])
    table = lightup(
        layers,
        "h1",
        ["A", "B", "C"],
        method="baseline",
        baseline=b,
        max_activation=1.0,
        direction="signed",
    )
    following = layers[1:]

    def decode(code):
        x = np.asarray(code, dtype=float)
        for dense in following:
            x = dense(x)
        return x

    np.testing.assert_allclose(table["h1_1"], decode([1.0, 0.6]) - decode(b))
    np.testing.assert_allclose(table["h1_2"], decode([0.3, 1.0]) - decode(b))
    absolute = lightup(
        layers,
        "h1",
        ["A", "B", "C"],
        baseline=b,
        direction="absolute",
        max_activation=1.0,
        method="baseline",
    )
    np.testing.assert_allclose(absolute, table.abs())


def test_baseline_code_of_the_wrong_width_is_refused():
    with pytest.raises(InputError, match="3 values for 2 nodes"):
        lightup(
            tiny_network(),
            "h1",
            ["A", "B", "C"],
            baseline=np.zeros(3),
            max_activation=1.0,
            method="baseline",
            direction="signed",
        )


def biased_decoder(n_nodes=4, n_genes=12):
    """h1 -> output whose output biases (spread over 6 logits) dwarf its kernel (0.2 per node):
    the decoder's response to the zero code ranks the genes the same way for every node."""
    bias = np.linspace(3, -3, n_genes)
    kernel = np.zeros((n_nodes, n_genes))
    for j in range(n_nodes):
        kernel[j, (3 * j + np.arange(3)) % n_genes] = 0.2  # node j turns up its own 3 genes
    h1 = DenseLayer("h1", np.zeros((n_genes, n_nodes)), np.zeros(n_nodes), "sigmoid")
    out = DenseLayer("output", kernel, bias, "sigmoid")
    return [h1, out], [f"G{i}" for i in range(n_genes)]


def activity_table(n_nodes, flat=()):
    return pd.DataFrame(
        {
            "layer": "h1",
            "node": [f"h1_{j + 1}" for j in range(n_nodes)],
            "mean": 0.2,
            "sd": [0.0 if j in flat else 0.1 for j in range(n_nodes)],
            "flat": [j in flat for j in range(n_nodes)],
        }
    )


SETTINGS = {"max_activation": 1.0, "method": "baseline", "baseline": "mean", "direction": "signed"}


def test_paper_lightup_gives_every_node_the_same_genes_and_baseline_lightup_does_not():
    layers, genes = biased_decoder()
    table, rows = layer_diversity(layers, "h1", genes, activity_table(4), SETTINGS, k=3)
    rows = rows.set_index("method")
    assert rows.loc["paper", "n_distinct_sets"] == 1
    assert rows.loc["paper", "mean_jaccard"] == 1.0
    assert rows.loc["baseline", "n_distinct_sets"] == 4
    assert rows.loc["baseline", "mean_jaccard"] == 0.0
    assert rows["configured"].to_dict() == {"baseline": True, "paper": False}
    for j in range(4):  # each node's own genes on top
        top = set(table[f"h1_{j + 1}"].nlargest(3).index)
        assert top == {genes[(3 * j + i) % 12] for i in range(3)}


def test_flat_nodes_are_left_out_and_counted():
    layers, genes = biased_decoder()
    table, rows = layer_diversity(layers, "h1", genes, activity_table(4, flat={1, 3}), SETTINGS, 3)
    assert list(table.columns) == ["h1_1", "h1_3"]
    row = rows.set_index("method").loc["baseline"]
    assert (row["n_nodes"], row["n_flat"], row["n_live"], row["n_distinct_sets"]) == (4, 2, 2, 2)


def test_a_layer_without_live_nodes_is_a_recorded_skip():
    layers, genes = biased_decoder()
    activity = activity_table(4, flat={0, 1, 2, 3})
    table, rows = layer_diversity(layers, "h1", genes, activity, SETTINGS, 3)
    assert table.shape == (12, 0)
    assert (rows["status"] == "no live nodes").all()
    assert rows["n_live"].eq(0).all()
    assert node_rankings(table, 3).empty


def test_jaccard_and_distinct_sets_by_hand():
    sets = [frozenset("ab"), frozenset("bc"), frozenset("ab")]
    # pairs: {a,b}-{b,c} 1/3, {a,b}-{a,b} 1, {b,c}-{a,b} 1/3
    assert mean_pairwise_jaccard(sets) == pytest.approx(5 / 9)
    assert np.isnan(mean_pairwise_jaccard(sets[:1]))
    scores = pd.DataFrame(
        {"n1": [3, 2, 1, 0], "n2": [0, 2, 3, 1], "n3": [3, 2, 0, 1]}, index=list("abcd")
    )
    result = diversity(scores, k=2)
    assert (result["n_distinct_sets"], result["n_distinct_genes"]) == (2, 3)
    assert result["mean_jaccard"] == pytest.approx(5 / 9)


def test_rankings_order_genes_by_activation():
    table = lightup(
        tiny_network(),
        "h2",
        ["A", "B", "C"],
        max_activation=1.0,
        method="baseline",
        direction="signed",
    )
    ranks = node_rankings(table, top=2)
    first = ranks[(ranks["node"] == "h2_2") & (ranks["rank"] == 1)]["gene"].item()
    assert first == table["h2_2"].idxmax()
    assert len(ranks) == 4


def test_unknown_layer_is_refused():
    with pytest.raises(Exception, match="not a hidden layer"):
        lightup(
            tiny_network(),
            "h3",
            ["A", "B", "C"],
            max_activation=1.0,
            method="baseline",
            direction="signed",
        )


N_COMMUNITIES, COMMUNITY_SIZE, N_BACKGROUND = 8, 15, 80


def community_expression(seed, follow_network):
    """Network with planted communities, and expression driven by communities of genes.

    Each sample activates every community c with a_c ~ U(0, 1); a community gene's expression is
    a_c plus noise, a background gene's is noise. With follow_network the expression communities
    are the network's; otherwise they are random groups of genes, unrelated to the network.
    """
    rng = np.random.default_rng(seed)
    n = N_COMMUNITIES * COMMUNITY_SIZE + N_BACKGROUND
    community = np.full(n, -1)
    community[: N_COMMUNITIES * COMMUNITY_SIZE] = np.repeat(
        np.arange(N_COMMUNITIES), COMMUNITY_SIZE
    )
    same = (community[:, None] == community[None, :]) & (community[:, None] >= 0)
    linked = np.triu(rng.random((n, n)) < np.where(same, 0.4, 0.01), k=1)
    genes = [f"G{i}" for i in range(n)]
    network = Network.from_edges(
        genes, [(genes[i], genes[j]) for i, j in zip(*np.nonzero(linked), strict=True)]
    )
    program = community if follow_network else rng.permutation(community)
    activity = rng.random((800, N_COMMUNITIES))
    signal = np.where(program >= 0, activity[:, np.maximum(program, 0)], 0.0)
    expression = np.clip(0.8 * signal + 0.1 * rng.random((800, n)), 0, 1).astype(np.float32)
    return network, genes, expression


def h1_colocalization(follow_network):
    """Network colocalization of the h1 light-up gene sets of a deep autoencoder trained on the
    community expression: the per-layer summary and each node's z = (H - null mean) / null sd."""
    network, genes, expression = community_expression(0, follow_network)
    model = build_autoencoder(
        len(genes), parse_model_id("deep16"), optimizer={"learning_rate": 0.01}, seed=0
    )
    model.fit(expression, expression, epochs=40, batch_size=32, verbose=0)
    layers = dense_layers(model)
    activity = mark_flat(node_activity(layers, expression), 0.01)
    baseline = activity.loc[activity["layer"] == "h1", "mean"].to_numpy()
    rankings = lightup(
        layers,
        "h1",
        genes,
        baseline=baseline,
        max_activation=1.0,
        method="baseline",
        direction="signed",
    )
    table = colocalization(
        rankings,
        network,
        ks=(COMMUNITY_SIZE,),
        n_null=50,
        null="uniform",
        n_bins=10,
        seed=0,
        n_permutations=0,
        permutation_max_k=100,
    )
    z = (table["harmonic_distance"] - table["null_harmonic_distance_mean"]) / table[
        "null_harmonic_distance_sd"
    ]
    return summarize_layers(table.assign(layer="h1")).iloc[0], z


def test_h1_lightup_genes_colocalize_in_the_network():
    summary, z = h1_colocalization(follow_network=True)
    assert summary["distance_p_value"] < 0.01
    assert summary["n_closer"] == summary["n_nodes"]
    assert (z < -2).all()


def test_no_colocalization_when_expression_ignores_the_network():
    """Expression programs of random gene groups: the autoencoder learns them, but its light-up
    gene sets are no closer in the network than random genes, node by node. (The Wilcoxon test
    over nodes is not used here: nodes share top genes, so it is anti-conservative.)"""
    summary, z = h1_colocalization(follow_network=False)
    assert summary["n_closer"] == 0
    assert z.mean() > -1


def test_a_written_light_up_table_reads_back_with_its_gene_names(tmp_path):
    """Genes named like missing values ("NA", "NULL") stay genes when the table is read back."""
    table = pd.DataFrame({"h1_1": [0.5, -1.25], "h1_2": [2.0, 0.0]}, index=["NA", "NULL"])
    table.to_csv(tmp_path / "h1.tsv.gz", sep="\t")
    back = read_lightup(tmp_path / "h1.tsv.gz")
    assert back.index.tolist() == ["NA", "NULL"]
    pd.testing.assert_frame_equal(back, table)
