import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepmodules import simulate as sim
from deepmodules.data import compendium
from deepmodules.model import training
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, dense_layers
from deepmodules.model.network import DenseLayer, encode, layers_after
from deepmodules.modules.reverse_network import (
    STALL_WINDOW,
    Adam,
    fit_reverse,
    gradients,
    one_hot,
    phenotype_means,
)
from deepmodules.modules.reverse_training import (
    contrast_module,
    disease_scores,
    gene_scores,
    naive_means,
    output_preactivation,
    phenotype_labels,
    preactivations_over_seeds,
    reference_phenotype,
    study_phenotype_labels,
    summarize_seeds,
)
from deepmodules.stats import fisher_combined
from deepmodules.validate.enrichment import fisher_enrichment
from tests.conftest import small_config
from tests.xor_compendium import xor_disease_recovery


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


def test_naive_means_are_where_the_naive_network_converges():
    """The closed form of the naive baseline: the network's decoded outputs, fitted close to its
    minimum, are the phenotype means; a fit stopped early is further from them."""
    labels, targets = planted_targets()
    [means], phenotypes = naive_means(labels, targets)
    observed = pd.DataFrame(targets).groupby(labels.to_numpy()).mean().loc[phenotypes].to_numpy()
    np.testing.assert_allclose(means, observed, rtol=1e-6)

    def distance(tolerance):
        net = fit_reverse(labels, targets, 6, 60, 16, 0.02, seed=2, tolerance=tolerance)
        return np.abs(output_preactivation(net, [], decoded=True) - means).max()

    assert distance(1e-6) < 2e-3 < distance(1e-2)


def test_fits_are_reproducible_per_seed():
    labels, targets = planted_targets()

    def fit(seed):
        net = fit_reverse(
            labels, targets, hidden=6, epochs=5, batch_size=16, learning_rate=0.02, seed=seed
        )
        return np.concatenate([net.hidden.kernel.ravel(), net.output.kernel.ravel()])

    first, other = fit(1), fit(2)
    assert np.array_equal(first, fit(1))
    assert not np.allclose(first, other)


def test_a_fit_stops_at_the_tolerance_or_when_its_loss_stalls():
    """With a tolerance the fit stops once its loss is that share of the no-effect loss; a fit whose
    loss cannot fall (a learning rate that saturates the sigmoids) stops after a stall window instead
    of running to max_steps, and says it did not converge. Without a tolerance: the paper's count."""
    labels, targets = planted_targets()
    good = fit_reverse(labels, targets, 6, 60, 16, 0.02, seed=1, tolerance=1e-3, max_steps=20000)
    assert good.converged and good.relative_loss <= 1e-3 and good.steps < 500
    stuck = fit_reverse(labels, targets, 6, 60, 16, 1.0, seed=1, tolerance=1e-3, max_steps=20000)
    assert not stuck.converged and stuck.relative_loss > 0.5
    assert stuck.steps == 2 * STALL_WINDOW
    paper = fit_reverse(labels, targets, 6, 60, 16, 0.02, seed=1)
    assert paper.steps == 60 * int(np.ceil(len(labels) / 16)) and paper.converged


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    parameters = [rng.normal(0, 0.5, shape) for shape in ((4, 5), (5,), (5, 7), (7,))]
    weights, zbar = np.array([0.1, 0.2, 0.3, 0.4]), rng.normal(size=(4, 7))
    _, analytic = gradients(parameters, weights, zbar)
    eps = 1e-6
    for p, grad in zip(parameters, analytic, strict=True):
        for index in np.ndindex(p.shape):
            saved = p[index]
            p[index] = saved + eps
            up = gradients(parameters, weights, zbar)[0]
            p[index] = saved - eps
            down = gradients(parameters, weights, zbar)[0]
            p[index] = saved
            assert grad[index] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-9)


def test_adam_first_step_moves_each_parameter_by_the_learning_rate():
    """With bias correction, Adam's first step is -lr * sign(g) whatever the gradient's scale."""
    theta = np.array([1.0, 1.0, 1.0])
    Adam([theta], learning_rate=0.1).step([np.array([0.1, -5.0, 200.0])])
    np.testing.assert_allclose(theta, [0.9, 1.1, 0.9], rtol=1e-6)


def test_phenotype_means_read_in_blocks_match_the_direct_statistics(tmp_path):
    labels, targets = planted_targets()
    path = tmp_path / "targets.npy"
    np.save(path, targets.astype(np.float32))
    mapped = np.load(path, mmap_mode="r")
    mu, sigma, counts, zbar, phenotypes = phenotype_means(labels, mapped, block=7)
    x = np.asarray(mapped, dtype=np.float64)
    np.testing.assert_allclose(mu, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, x.std(axis=0), rtol=1e-9)
    assert phenotypes == ["case", "control", "other"]
    np.testing.assert_array_equal(counts, [60, 60, 60])
    for i, phenotype in enumerate(phenotypes):
        direct = (x[(labels == phenotype).to_numpy()].mean(axis=0) - mu) / sigma
        np.testing.assert_allclose(zbar[i], direct, rtol=1e-9, atol=1e-12)


def test_loss_on_phenotype_means_equals_the_loss_over_samples():
    """sum_p n_p/N ||f(e_p) - zbar_p||^2 + within-phenotype variance = (1/N) sum_j ||f(c_j) - z_j||^2."""
    labels, targets = planted_targets()
    labels = pd.concat([labels, pd.Series(["case"] * 40)], ignore_index=True)  # unequal n_p
    targets = np.vstack([targets, targets[60:100] + 0.01])
    net = fit_reverse(
        labels, targets, hidden=6, epochs=3, batch_size=32, learning_rate=0.01, seed=0
    )
    mu, sigma, counts, zbar, phenotypes = phenotype_means(labels, targets)
    fitted = (net.output(net.hidden(np.eye(len(phenotypes)))) - mu) / sigma  # standardized f(e_p)
    z = (targets - mu) / sigma
    rows = labels.map({p: i for i, p in enumerate(phenotypes)}).to_numpy()
    per_sample = np.square(fitted[rows] - z).sum(axis=1).mean()
    within = np.square(z - zbar[rows]).sum(axis=1).mean()
    weighted = (counts / counts.sum() * np.square(fitted - zbar).sum(axis=1)).sum()
    np.testing.assert_allclose(weighted + within, per_sample, rtol=1e-10)


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


def test_expression_scores_rank_genes_in_the_compendiums_units():
    """The decoded contrast is scaled back by each gene's range: a gene that changes by the same
    fraction of a 16-fold wider range ranks first, which the scaled-axis contrast cannot tell."""
    labels, targets = planted_targets()
    net = fit_reverse(
        labels, targets, hidden=6, epochs=60, batch_size=16, learning_rate=0.02, seed=1
    )
    kernel = np.zeros((6, 4))
    kernel[0, :2] = 5.0  # genes 0 and 1 respond identically to node 0
    bias = np.array([-1.0, -1.0, 0.0, 0.0])
    decoder = [DenseLayer("output", kernel, bias, "sigmoid")]
    x = output_preactivation(net, decoder, decoded=True)
    z = output_preactivation(net, decoder)
    np.testing.assert_allclose(x, 1 / (1 + np.exp(-(z + bias))), rtol=1e-10)
    span = np.array([0.5, 8.0, 1.0, 1.0])
    score = gene_scores(x, net.phenotypes, "case", "control", "expression", span)
    case, control = net.phenotypes.index("case"), net.phenotypes.index("control")
    np.testing.assert_allclose(score, np.abs(x[case] - x[control]) * span)
    assert score.argmax() == 1 and score[1] == pytest.approx(16 * score[0])
    with pytest.raises(ValueError, match="gene_span"):
        gene_scores(x, net.phenotypes, "case", "control", "expression")


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


@pytest.fixture(scope="module")
def trained_small(small_sources, tmp_path_factory):
    """The small compendium, an autoencoder (deep32) trained on it, the demo config and the truth."""
    config = small_config(small_sources)
    spec = config["datasets"]["microarray"]
    data = compendium.prepare(spec, config["diseases"], 1, tmp_path_factory.mktemp("compendium"))
    values = np.asarray(data.values)
    split = data.samples["split"].to_numpy()
    model = build_autoencoder(
        len(data.genes), parse_model_id("deep32"), {"learning_rate": 0.01}, seed=1
    )
    train, test = (np.flatnonzero(split == name) for name in ("train", "test"))
    training.train(model, values, train, test, stopping=60, batch_size=32, seed=1)
    truth = json.loads((small_sources / sim.GROUND_TRUTH_FILE).read_text())
    return data, values, dense_layers(model), config, truth


@pytest.fixture(scope="module")
def seed_scores(trained_small):
    """Contrast scores of the planted diseases at h2 of an autoencoder trained on the small compendium.

    Returns the genes, the configured seeds, the held-out seeds and, per planted disease, its planted
    module and its scores (seeds × genes, configured seeds first).
    """
    data, values, layers, config, truth = trained_small

    configured = config["reverse_training"]["seeds"]
    held_out = [max(configured) + i for i in (1, 2, 3)]
    # The configured seeds and score. With 400 samples, both networks need a larger learning rate than
    # the demo's (1e-3) to learn the planted modules: at 1e-3 the top genes hold hardly any, and the
    # scores are seed noise (sd/mean about 0.5) whose interval holds the shuffled scores too.
    settings = {
        **config["reverse_training"],
        "seeds": configured + held_out,
        "epochs": 30,
        "batch_size": 32,
        "learning_rate": 0.01,
    }
    labels = phenotype_labels(data.samples, "normal")
    targets = encode(layers, values, "h2")
    z, phenotypes = preactivations_over_seeds(
        labels, targets, layers_after(layers, "h2"), targets.shape[1], settings
    )
    diseases, span = {}, data.gene_range.span
    for disease in truth["diseases"].values():
        if disease["module_genes"]:
            label = disease["label"]
            reference = reference_phenotype(data.samples, labels, label, "normal")
            scores = [
                gene_scores(zs, phenotypes, label, reference, settings["score"], span) for zs in z
            ]
            diseases[label] = (set(disease["module_genes"]), np.stack(scores))
    return data.genes, configured, held_out, diseases


def test_held_out_seeds_stay_within_the_reported_sd(seed_scores):
    """A new seed moves a gene's score only as far as the sd over the configured seeds predicts.

    With n = 3 seeds of mean m and sd s, the score x of a further seed satisfies
    (x - m) / (s sqrt(1 + 1/n)) ~ t with n - 1 = 2 degrees of freedom (for normal scores), so
    m ± k s with k = t(0.995; 2) sqrt(4/3) = 11.5 is a 99% prediction interval, and m ± s a
    P(|t_2| <= sqrt(3/4)) = 52% one. All genes share the three configured seeds, so the fraction of
    genes inside varies from one draw of seeds to the next around these values (here, for the held-out
    seeds 4, 5, 6: 0.96-0.99 inside the 99% interval, 0.46-0.67 inside m ± s).
    """
    genes, configured, held_out, diseases = seed_scores
    n = len(configured)
    assert n == 3 and not set(held_out) & set(configured)
    k = stats.t.ppf(0.995, n - 1) * np.sqrt(1 + 1 / n)
    position = {gene: i for i, gene in enumerate(genes)}
    intervals, modules = {}, {}
    for label, (planted, scores) in diseases.items():
        table = summarize_seeds(list(scores[:n]), genes)
        held = summarize_seeds(list(scores[n:]), genes)
        # The module (top genes by mean, as many as were planted) is nearly the same over the
        # held-out seeds: at most 2 of its 15 genes change (Jaccard 13/17 = 0.76).
        module, held_module = set(table["gene"][: len(planted)]), set(held["gene"][: len(planted)])
        jaccard = len(module & held_module) / len(module | held_module)
        assert jaccard >= 0.75, (label, jaccard)
        modules[label] = [position[gene] for gene in sorted(module)]
        table = table.set_index("gene").loc[genes]
        intervals[label] = table["score"].to_numpy(), table["score_sd"].to_numpy()

    rng = np.random.default_rng(0)
    within_one_sd = []
    for j, seed in enumerate(held_out, start=n):
        inside, one_sd, shuffled, other = [], [], [], []
        for label, (mean, sd) in intervals.items():
            x = diseases[label][1][j]
            inside.append(np.abs(x - mean) <= k * sd)
            one_sd.append(np.abs(x - mean) <= sd)
            shuffled.append(np.abs(rng.permutation(x) - mean) <= k * sd)
            top = modules[label]
            for other_label in [name for name in intervals if name != label]:
                y = diseases[other_label][1][j][top]
                other.append(np.abs(y - mean[top]) <= k * sd[top])
        inside, one_sd, shuffled, other = (
            float(np.concatenate(flags).mean()) for flags in (inside, one_sd, shuffled, other)
        )
        # At least 95% of the genes of all planted diseases inside the 99% interval.
        assert inside >= 0.95, (seed, inside)
        # Not vacuous: the same scores with the genes shuffled, and another disease's scores on a
        # disease's module genes, mostly fall outside the interval (here at most 0.05 and 0.01 inside).
        assert shuffled <= 0.6, (seed, shuffled)
        assert other <= 0.2, (seed, other)
        within_one_sd.append(one_sd)
    # Nor is the sd inflated: m ± s holds about half of the scores (here 0.55 on average over the
    # held-out seeds), not nearly all.
    assert np.mean(within_one_sd) <= 0.8, within_one_sd


def test_shuffled_phenotypes_give_null_modules(trained_small):
    """Negative control: with the phenotypes shuffled over the samples, the modules no longer overlap
    the planted genes beyond chance; with the true phenotypes they do (positive control)."""
    data, values, layers, config, truth = trained_small
    settings = {**config["reverse_training"], "epochs": 30, "batch_size": 32, "learning_rate": 0.01}
    planted = {d["label"]: set(d["module_genes"]) for d in truth["diseases"].values()}
    planted = {label: genes for label, genes in planted.items() if genes}
    shuffled = data.samples.copy()
    order = np.random.default_rng(0).permutation(len(shuffled))
    shuffled[["disease", "cell_type"]] = shuffled[["disease", "cell_type"]].to_numpy()[order]
    p_values = {}
    for name, samples in (("true", data.samples), ("shuffled", shuffled)):
        tables = disease_scores(
            values,
            samples,
            data.genes,
            {d: d for d in planted},
            "normal",
            settings,
            layers,
            "h2",
            gene_span=data.gene_range.span,
        )
        p_values[name] = [
            fisher_enrichment(tables[d]["gene"][: len(genes)], genes, data.genes)["p_value"]
            for d, genes in planted.items()
        ]
    assert max(p_values["true"]) < 1e-3, p_values
    assert min(p_values["shuffled"]) > 0.01 and fisher_combined(p_values["shuffled"]) > 0.05, (
        p_values
    )


def test_deep_layers_beat_shallow_and_naive_where_depth_matters():
    """Where the module's genes follow XOR relations that a code of 4 nodes can only decode through a
    deep decoder, the best layer of deep4-funnel recovers the planted module better than shallow4
    (whose affine output layer cannot decode them) and than the naive baseline (per-gene contrasts of 3
    against 3 noisy samples, where the autoencoders pool 25 genes per feature). Without XOR genes the
    shallow model does as well as the deep one (negative control: depth brings nothing)."""
    with_xor = xor_disease_recovery(xor=True)
    best_deep = max(v for k, v in with_xor.items() if k.startswith("deep4-funnel/"))
    assert best_deep >= 0.8, with_xor
    assert best_deep >= with_xor["shallow4/h1"] + 0.15, with_xor
    assert best_deep >= with_xor["naive"] + 0.15, with_xor

    without = xor_disease_recovery(xor=False)
    best_deep = max(v for k, v in without.items() if k.startswith("deep4-funnel/"))
    assert without["shallow4/h1"] >= best_deep - 0.05, without
    assert without["shallow4/h1"] >= without["naive"] + 0.15, without


def test_a_contrast_module_is_the_mean_over_seeds_of_each_seeds_contrast():
    """Two seeds' decoded outputs for three phenotypes: the module ranks genes by the mean of
    |x_case - x_ref| × span over the seeds, with its sd, whatever the genes' order."""
    phenotypes = ["case", "normal (a)", "normal (b)"]
    z = [
        np.array([[1.0, 0.2, 0.5], [0.0, 0.2, 0.1], [0.4, 0.0, 0.0]]),
        np.array([[0.6, 0.2, 0.9], [0.0, 0.0, 0.1], [0.0, 0.0, 0.0]]),
    ]
    span = np.array([1.0, 10.0, 2.0])
    module = contrast_module(
        z, phenotypes, "case", "normal (a)", "expression", ["A", "B", "C"], span
    )
    assert module["gene"].tolist() == ["C", "B", "A"]  # means 1.2, 1.0, 0.8
    np.testing.assert_allclose(module["score"], [1.2, 1.0, 0.8])
    np.testing.assert_allclose(
        module["score_sd"], np.std([[0.8, 1.6], [0.0, 2.0], [1.0, 0.6]], axis=1, ddof=1)
    )
    both = contrast_module(
        z, phenotypes, "case", ["normal (a)", "normal (b)"], "contrast", list("ABC"), None
    )
    assert both.set_index("gene").loc["A", "score"] == pytest.approx((0.8 + 0.6) / 2)
