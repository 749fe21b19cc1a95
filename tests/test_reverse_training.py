import numpy as np
import pandas as pd

from deepmodules.autoencoder import DenseLayer
from deepmodules.reverse_training import (
    fit_reverse,
    gene_scores,
    one_hot,
    output_preactivation,
    phenotype_labels,
    reference_phenotype,
    study_phenotype_labels,
    summarize_seeds,
)


def test_one_hot_is_kronecker_delta():
    c, phenotypes = one_hot(pd.Series(["b", "a", "b"]))
    assert phenotypes == ["a", "b"]
    np.testing.assert_array_equal(c, [[0, 1], [1, 0], [0, 1]])


def planted_targets(n_per=60, width=6, seed=0):
    """Targets whose mean depends on the phenotype: 'case' raises node 0, 'other' lowers node 1."""
    rng = np.random.default_rng(seed)
    labels = pd.Series(["control"] * n_per + ["case"] * n_per + ["other"] * n_per)
    means = {
        "control": np.full(width, 0.5),
        "case": np.full(width, 0.5),
        "other": np.full(width, 0.5),
    }
    means["case"][0] = 0.9
    means["other"][1] = 0.1
    targets = np.stack([means[label] for label in labels]) + rng.normal(
        0, 0.02, (len(labels), width)
    )
    return labels, targets


def test_reverse_network_reproduces_phenotype_means_on_original_scale():
    labels, targets = planted_targets()
    net = fit_reverse(
        labels, targets, hidden=6, epochs=60, batch_size=16, learning_rate=0.02, seed=1
    )
    predicted = net.output(net.hidden(np.eye(len(net.phenotypes))))
    case = net.phenotypes.index("case")
    other = net.phenotypes.index("other")
    assert abs(predicted[case, 0] - 0.9) < 0.05
    assert abs(predicted[other, 1] - 0.1) < 0.05
    assert abs(predicted[case, 3] - 0.5) < 0.05


def test_gene_scores_follow_the_stacked_decoder():
    labels, targets = planted_targets()
    net = fit_reverse(
        labels, targets, hidden=6, epochs=60, batch_size=16, learning_rate=0.02, seed=1
    )
    # A decoder whose output kernel maps node 0 to gene 0 only, other nodes to the other genes weakly.
    kernel = np.full((6, 4), 0.01)
    kernel[0, 0] = 5.0
    decoder = [DenseLayer("output", kernel, np.zeros(4), "sigmoid")]
    z = output_preactivation(net, decoder)
    case = net.phenotypes.index("case")
    assert z.shape == (3, 4)
    np.testing.assert_allclose(
        z[case], net.output(net.hidden(np.eye(3)))[case] @ kernel, rtol=1e-10
    )
    paper = gene_scores(z, net.phenotypes, "case", "control", "paper")
    contrast = gene_scores(z, net.phenotypes, "case", "control", "contrast")
    np.testing.assert_allclose(paper, np.abs(z[case]))
    # Against the matched control only the planted node-0 gene moves.
    assert contrast.argmax() == 0 and contrast[0] > 10 * contrast[1:].max()


def test_controls_are_coded_per_cell_type_and_matched():
    samples = pd.DataFrame(
        {
            "disease": ["asthma", "asthma", "normal", "normal", "normal"],
            "cell_type": ["airway", "airway", "airway", "liver", "liver"],
        }
    )
    labels = phenotype_labels(samples, "normal")
    assert labels.tolist() == [
        "asthma",
        "asthma",
        "normal (airway)",
        "normal (liver)",
        "normal (liver)",
    ]
    assert reference_phenotype(samples, labels, "asthma", "normal") == "normal (airway)"
    assert reference_phenotype(samples, labels, "lupus", "normal") is None


def test_study_coding_separates_disease_studies_from_the_healthy_reference():
    samples = pd.DataFrame(
        {
            "disease": ["asthma", "normal", "normal", "normal"],
            "cell_type": ["airway", "airway", "airway", "liver"],
            "study": ["S1", "S1", "S2", "S3"],
        }
    )
    labels = study_phenotype_labels(samples, "normal")
    assert labels.tolist() == ["asthma [S1]", "normal [S1]", "normal (airway)", "normal (liver)"]
    assert reference_phenotype(samples, labels, "asthma", "normal") == "normal (airway)"


def test_summary_over_seeds():
    scores = [np.array([[1.0, 3.0, 2.0]]), np.array([[1.0, 5.0, 2.0]])]
    table = summarize_seeds([s[0] for s in scores], ["a", "b", "c"])
    assert table["gene"].tolist() == ["b", "c", "a"]
    assert table["rank"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(table["score"], [4.0, 2.0, 1.0])
    np.testing.assert_allclose(table["score_sd"], [np.sqrt(2), 0, 0])
