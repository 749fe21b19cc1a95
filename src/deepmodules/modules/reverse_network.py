"""The reverse network of reverse training (paper, Methods: "Predicting disease genes", step 2).

A one-hidden-layer network from a sample's phenotype, one-hot coded as c_ij = delta_{i, p(j)}
(P phenotypes), to its representation s_j at a layer of the autoencoder (H values): H sigmoid hidden
nodes, H linear outputs, trained on standardized targets and returned with the standardization folded
into its output layer (:func:`fit_reverse`). :mod:`deepmodules.modules.reverse_training` stacks it on
the autoencoder and scores the genes.

The fit runs in numpy: the network sees only P distinct inputs, so each Adam step is a handful of
P-row matrix products, and a job that fits it starts in a fraction of the seconds a Keras import takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmodules.model.network import DenseLayer


@dataclass
class ReverseNetwork:
    """A trained phenotype -> representation network with the rescaling folded into its output layer."""

    phenotypes: list[str]
    hidden: DenseLayer
    output: DenseLayer
    steps: int  # Adam steps taken
    relative_loss: float  # final loss over the no-effect loss L_0 (:func:`fit_reverse`)
    converged: bool  # reached the tolerance (always True without one)


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


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """An initial kernel drawn from U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


# A fit with a tolerance also stops once STALL_WINDOW steps lower its loss by less than a tenth: where
# the phenotype effects are tiny, Adam's step size keeps the loss above the tolerance for good.
STALL_WINDOW = 500
STALL_RATIO = 0.9
# Values per block of an Adam update: five float32 blocks of 65,536 (1.3 MB) stay in a core's L2 cache.
BLOCK = 65536


class Adam:
    """Adam (Kingma & Ba 2015) on a list of arrays, updated in place.

    At step t, for each parameter theta with gradient g: m <- beta1 m + (1 - beta1) g,
    v <- beta2 v + (1 - beta2) g^2 and theta <- theta - lr_t m / (sqrt(v) + eps), with the bias
    correction folded into the rate, lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t).
    """

    def __init__(
        self,
        parameters: list[np.ndarray],
        learning_rate: float,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        self.parameters = parameters
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        self.m = [np.zeros_like(p) for p in parameters]
        self.v = [np.zeros_like(p) for p in parameters]
        self.t = 0

    def step(self, gradients: list[np.ndarray]) -> None:
        """One update of every parameter from its gradient, in place.

        The update runs over blocks of :data:`BLOCK` values that stay in the processor's cache, so a
        large kernel is read and written once per step instead of once per arithmetic operation.
        """
        self.t += 1
        rate = self.learning_rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        for arrays in zip(self.parameters, gradients, self.m, self.v, strict=True):
            theta, g, m, v = (a.reshape(-1) for a in arrays)
            scratch = np.empty(min(BLOCK, theta.size), dtype=theta.dtype)
            for start in range(0, theta.size, BLOCK):
                block = slice(start, start + BLOCK)
                self._update(theta[block], g[block], m[block], v[block], scratch, rate)

    def _update(self, theta, g, m, v, scratch, rate) -> None:
        s = scratch[: theta.size]
        m *= self.beta_1
        np.multiply(g, 1 - self.beta_1, out=s)
        m += s
        v *= self.beta_2
        np.square(g, out=s)
        s *= 1 - self.beta_2
        v += s
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= rate
        theta -= s


def gradients(
    parameters: list[np.ndarray], weights: np.ndarray, zbar: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """The loss L = sum_p w_p (1/H) ||f(e_p) - zbar_p||^2 and its gradient in (W1, b1, W2, b2).

    f(e_p) = sigmoid(W1[p] + b1) W2 + b2: a one-hot input picks row p of W1. With a_p the hidden
    activations and g_p = dL/df(e_p) = (2 w_p / H) (f(e_p) - zbar_p): dW2 = a^T g, db2 = sum_p g_p,
    dW1 = (g W2^T) ∘ a ∘ (1 - a) row by row and db1 its sum over phenotypes.
    """
    w1, b1, w2, b2 = parameters
    a = 1 / (1 + np.exp(-(w1 + b1)))
    residual = a @ w2 + b2 - zbar
    loss = float(weights @ np.square(residual).mean(axis=1))
    g = (2 / zbar.shape[1]) * weights[:, None] * residual
    da = (w2 @ g.T).T * a * (1 - a)
    return loss, [da, da.sum(axis=0), a.T @ g, g.sum(axis=0)]


def fit_reverse(
    labels: pd.Series,
    targets: np.ndarray,
    hidden: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    tolerance: float = 0.0,
    max_steps: int = 20000,
) -> ReverseNetwork:
    """Train the reverse network from one-hot ``labels`` to ``targets`` (samples × H).

    The inputs take only P distinct values, so the mean squared error over the N samples,
    (1/N) sum_j ||f(c_j) - z_j||^2, equals sum_p (n_p / N) ||f(e_p) - zbar_p||^2 plus the
    within-phenotype variance, a constant (:func:`phenotype_means`). The network is therefore fitted to
    the P phenotype means with weights n_p / N: each Adam step uses the exact gradient of the loss over
    all samples, at the cost of P rows instead of a batch. Kernels start Glorot-uniform and biases at
    zero (Keras' defaults); only the initial weights depend on ``seed``.

    With ``tolerance`` 0 it takes epochs × ceil(N / batch_size) steps, as many as the paper's
    mini-batch training would: a count that grows with N, although the fit to P means does not get
    harder (too few steps to converge on a small compendium, many more than needed on a large one).
    With ``tolerance`` > 0 it stops at the first step whose loss is at most ``tolerance`` times the
    loss of predicting no phenotype effect, L_0 = sum_p (n_p / N) ||zbar_p||^2 / H, or earlier once
    :data:`STALL_WINDOW` steps lower the loss by less than 10 %, or after ``max_steps`` (``converged``
    says False in the last two cases). docs/method.md has the evidence.
    """
    mu, sigma, counts, zbar, phenotypes = phenotype_means(labels, targets)
    n, n_phenotypes, width = counts.sum(), len(phenotypes), zbar.shape[1]
    steps = max_steps if tolerance > 0 else epochs * int(np.ceil(n / batch_size))

    rng = np.random.default_rng(seed)
    w1, b1 = glorot_uniform(rng, n_phenotypes, hidden), np.zeros(hidden, np.float32)
    w2, b2 = glorot_uniform(rng, hidden, width), np.zeros(width, np.float32)
    optimizer = Adam([w1, b1, w2, b2], learning_rate)
    weights, zbar = (counts / n).astype(np.float32), zbar.astype(np.float32)
    null_loss = float(weights @ np.square(zbar).mean(axis=1))
    window_loss = np.inf
    for step in range(steps):
        loss, grads = gradients([w1, b1, w2, b2], weights, zbar)
        if loss <= tolerance * null_loss:
            break
        if tolerance > 0 and step % STALL_WINDOW == 0:
            if loss > STALL_RATIO * window_loss:
                break  # stalled: Adam's steps no longer lower the loss
            window_loss = loss
        optimizer.step(grads)
    else:
        loss = gradients([w1, b1, w2, b2], weights, zbar)[0]

    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float64) for w in (w1, b1, w2, b2))
    return ReverseNetwork(
        phenotypes,
        DenseLayer("reverse_hidden", w1, b1, "sigmoid"),
        DenseLayer("reverse_output", w2 * sigma, b2 * sigma + mu, "linear"),
        steps=optimizer.t,
        relative_loss=loss / null_loss if null_loss > 0 else 0.0,
        converged=tolerance == 0 or loss <= tolerance * null_loss,
    )
