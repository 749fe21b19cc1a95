"""The reverse network of reverse training (paper, Methods: "Predicting disease genes", step 2).

A one-hidden-layer network from a sample's phenotype, one-hot coded as c_ij = delta_{i, p(j)}
(P phenotypes), to its representation s_j at a layer of the autoencoder (H values): H sigmoid hidden
nodes, H linear outputs, trained on standardized targets and returned with the standardization folded
into its output layer (:func:`fit_reverse`). :mod:`deepmodules.modules.reverse_training` stacks it on
the autoencoder and scores the genes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmodules.model.autoencoder import adam
from deepmodules.model.backend import keras
from deepmodules.model.network import DenseLayer


@dataclass
class ReverseNetwork:
    """A trained phenotype -> representation network with the rescaling folded into its output layer."""

    phenotypes: list[str]
    hidden: DenseLayer
    output: DenseLayer


def one_hot(labels: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The phenotype matrix c (samples × phenotypes) and the phenotype names, sorted."""
    phenotypes = sorted(labels.unique())
    index = {p: i for i, p in enumerate(phenotypes)}
    c = np.zeros((len(labels), len(phenotypes)), dtype=np.float32)
    c[np.arange(len(labels)), labels.map(index).to_numpy()] = 1.0
    return c, phenotypes


def phenotype_means(
    labels: pd.Series, targets: np.ndarray, block: int = 4096
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """What the reverse network's loss depends on: node means and sds, phenotype counts and means.

    Returns mu and sigma of every target node over all samples, the sample count n_p of every
    phenotype and the phenotype means of the standardized targets, zbar_p = (mean_{j in p} s_j - mu) /
    sigma (P × H), and the phenotypes. ``targets`` is read in blocks of rows, so a memory-mapped
    samples × genes matrix (the naive baseline's targets) is never copied whole.
    """
    c, phenotypes = one_hot(labels)
    n, width = c.shape[0], targets.shape[1]
    total, square = np.zeros(width), np.zeros(width)
    sums = np.zeros((c.shape[1], width))
    for start in range(0, n, block):
        t = np.asarray(targets[start : start + block], dtype=np.float64)
        total += t.sum(axis=0)
        square += np.square(t).sum(axis=0)
        sums += c[start : start + block].T.astype(np.float64) @ t
    mu = total / n
    sigma = np.sqrt(np.maximum(square / n - np.square(mu), 0.0))
    sigma[sigma == 0] = 1.0
    counts = c.sum(axis=0).astype(np.float64)
    return mu, sigma, counts, (sums / counts[:, None] - mu) / sigma, phenotypes


def _network(n_phenotypes: int, hidden: int, width: int) -> keras.Sequential:
    """The reverse network: one-hot phenotypes -> sigmoid hidden layer -> linear standardized targets."""
    return keras.Sequential(
        [
            keras.Input((n_phenotypes,)),
            keras.layers.Dense(hidden, activation="sigmoid"),
            keras.layers.Dense(width, activation="linear"),
        ]
    )


@functools.lru_cache(maxsize=8)
def _compiled_network(
    n_phenotypes: int, hidden: int, width: int, learning_rate: float
) -> keras.Sequential:
    """One compiled network per shape, reused by every fit of that shape.

    Each fit sets fresh initial weights and zeroes the optimizer's state, so a reused network trains
    exactly as a new one would, while its compiled training step is traced once, not once per fit.
    """
    model = _network(n_phenotypes, hidden, width)
    model.compile(optimizer=adam(learning_rate, decay=0.0), loss="mse", steps_per_execution=64)
    return model


class RepeatedBatch(keras.utils.PyDataset):
    """The same (x, y, sample weight) batch ``steps`` times."""

    def __init__(self, batch: tuple[np.ndarray, ...], steps: int):
        super().__init__()
        self.batch, self.steps = batch, steps

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return self.batch


def fit_reverse(
    labels: pd.Series,
    targets: np.ndarray,
    hidden: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> ReverseNetwork:
    """Train the reverse network from one-hot ``labels`` to ``targets`` (samples × H).

    The inputs take only P distinct values, so the mean squared error over the N samples,
    (1/N) sum_j ||f(c_j) - z_j||^2, equals sum_p (n_p / N) ||f(e_p) - zbar_p||^2 plus the
    within-phenotype variance, a constant (:func:`phenotype_means`). The network is therefore fitted to
    the P phenotype means with weights n_p / N: each of the epochs × ceil(N / batch_size) Adam steps (as
    many as mini-batch training would take) uses the exact gradient of the loss over all samples, at the
    cost of P rows instead of a batch. Only the initial weights depend on ``seed``.
    """
    mu, sigma, counts, zbar, phenotypes = phenotype_means(labels, targets)
    n, n_phenotypes = counts.sum(), len(phenotypes)
    steps = epochs * int(np.ceil(n / batch_size))

    keras.utils.set_random_seed(seed)
    initial = _network(n_phenotypes, hidden, zbar.shape[1]).get_weights()
    model = _compiled_network(n_phenotypes, hidden, zbar.shape[1], learning_rate)
    model.set_weights(initial)
    for variable in model.optimizer.variables:
        variable.assign(keras.ops.zeros_like(variable))
    # Keras averages the weighted row losses over the P rows: weights P n_p / N give sum_p n_p / N.
    weights = (n_phenotypes * counts / n).astype(np.float32)
    batch = (np.eye(n_phenotypes, dtype=np.float32), zbar.astype(np.float32), weights)
    model.fit(RepeatedBatch(batch, steps), epochs=1, shuffle=False, verbose=0)

    (w1, b1), (w2, b2) = (
        [np.asarray(w, dtype=np.float64) for w in layer.get_weights()] for layer in model.layers
    )
    return ReverseNetwork(
        phenotypes,
        DenseLayer("reverse_hidden", w1, b1, "sigmoid"),
        DenseLayer("reverse_output", w2 * sigma, b2 * sigma + mu, "linear"),
    )
