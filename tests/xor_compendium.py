"""Compendia of binary gene programs with XOR genes: data on which depth demonstrably matters.

Each sample switches each of K programs on (a_k = 1) or off (a_k = 0) at random. The expression
features are the programs' activities a_k and, for every listed pair (j, k), their XOR
a_j + a_k - 2 a_j a_k (on when exactly one of the two programs is on); ``genes_per`` genes follow each
feature f as 0.1 + 0.8 f + N(0, noise^2), clipped to [0, 1]. A sigmoid output layer that is affine in
a code of K nodes cannot decode the XOR genes (a shallow autoencoder of width K); a deep decoder can.
"""

from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np
import pandas as pd


def all_pairs(n_programs: int) -> list[tuple[int, int]]:
    return list(combinations(range(n_programs), 2))


def binary_programs(rng: np.random.Generator, samples: int, n_programs: int) -> np.ndarray:
    """Activities of ``samples`` samples: every program on or off with probability 1/2."""
    return (rng.random((samples, n_programs)) > 0.5).astype(np.float64)


def xor_expression(
    rng: np.random.Generator,
    activity: np.ndarray,
    pairs: list[tuple[int, int]],
    genes_per: int,
    noise: float,
) -> np.ndarray:
    """Expression (samples × genes, float32) of the features of ``activity``, programs first."""
    features = [activity[:, k] for k in range(activity.shape[1])]
    features += [
        activity[:, j] + activity[:, k] - 2 * activity[:, j] * activity[:, k] for j, k in pairs
    ]
    signal = np.repeat(np.stack(features, axis=1), genes_per, axis=1)
    return np.clip(0.1 + 0.8 * signal + rng.normal(0, noise, signal.shape), 0, 1).astype(np.float32)


def gene_names(n_programs: int, pairs: list[tuple[int, int]], genes_per: int) -> list[str]:
    """Names of the genes of :func:`xor_expression`: ``A_1`` … for programs, ``AxB_1`` … for pairs."""
    letters = [chr(ord("A") + k) for k in range(n_programs)]
    features = letters + [f"{letters[j]}x{letters[k]}" for j, k in pairs]
    return [f"{feature}_{i + 1}" for feature in features for i in range(genes_per)]


XOR_PAIRS = [(0, 1), (0, 2), (2, 3)]  # A xor B, A xor C and the decoy C xor D
# Reverse training at this compendium's size.
XOR_SETTINGS = {
    "seeds": [1, 2, 3],
    "epochs": 30,
    "batch_size": 32,
    "learning_rate": 0.01,
    "tolerance": 0.001,
    "max_steps": 20000,
    "score": "contrast",
    "naive_fit": "means",
}


@dataclass(frozen=True)
class XorStudy:
    """A disease study in an XOR compendium, and the autoencoders trained on it."""

    values: np.ndarray
    samples: pd.DataFrame
    genes: list[str]
    module: frozenset[str]
    layers: dict  # model id -> dense layers of the trained autoencoder

    @property
    def arguments(self) -> tuple:
        """The leading arguments of ``disease_scores`` and ``heldout_replication`` for the disease
        (id ``d``) against the controls (``normal``), with :data:`XOR_SETTINGS`."""
        return self.values, self.samples, self.genes, {"d": "disease"}, "normal", XOR_SETTINGS


@cache
def xor_study(xor: bool, n_cases: int = 3) -> XorStudy:
    """2,000 samples of 4 binary programs A-D, 25 genes per program and, with ``xor``, per pair in
    ``XOR_PAIRS``, noise sd 0.7; a disease study in the context where only B is on: ``n_cases``
    controls, and as many cases in which the disease switches A on. The genes that move are A's and,
    with ``xor``, those of A xor B (down) and A xor C (up): the planted ``module``. deep4-funnel and
    shallow4 are trained on the first 2,000 samples (computed once per process)."""
    from deepmodules.model import training
    from deepmodules.model.architecture import parse_model_id
    from deepmodules.model.autoencoder import build_autoencoder, dense_layers

    genes_per = 25
    pairs = XOR_PAIRS if xor else []
    rng = np.random.default_rng(0)
    controls = np.tile([0.0, 1.0, 0.0, 0.0], (n_cases, 1))
    cases = controls + [1.0, 0.0, 0.0, 0.0]
    activity = np.vstack([binary_programs(rng, 2000, 4), controls, cases])
    values = xor_expression(rng, activity, pairs, genes_per, noise=0.7)
    genes = gene_names(4, pairs, genes_per)
    module = frozenset(g for g in genes if g.split("_")[0] in ("A", "AxB", "AxC"))
    samples = pd.DataFrame(
        {
            "disease": ["normal"] * (2000 + n_cases) + ["disease"] * n_cases,
            "cell_type": ["any"] * 2000 + ["B on"] * (2 * n_cases),
        }
    )
    layers = {}
    for model_id in ("deep4-funnel", "shallow4"):
        spec = parse_model_id(model_id)
        model = build_autoencoder(
            values.shape[1], spec, {"learning_rate": 0.01, "decay": 0}, seed=1
        )
        training.train(
            model,
            values,
            np.arange(1600),
            np.arange(1600, 2000),
            stopping=200,
            batch_size=64,
            seed=1,
        )
        layers[model_id] = dense_layers(model)
    return XorStudy(values, samples, genes, module, layers)


@cache
def xor_disease_recovery(xor: bool) -> dict[str, float]:
    """Recovery of the planted module of :func:`tests.xor_compendium.xor_study` by every layer of
    deep4-funnel, by shallow4 and by the naive baseline: the fraction of the module among the
    top-ranked genes, as many as the module has, by "<model>/<layer>" or "naive" (computed once per
    process)."""
    from deepmodules.model.architecture import parse_model_id
    from deepmodules.modules.reverse_training import disease_scores

    study = xor_study(xor)

    def recovery(layers=None, layer=None, hidden=None) -> float:
        table = disease_scores(
            *study.arguments,
            layers,
            layer,
            hidden,
        )["d"]
        return len(study.module.intersection(table["gene"][: len(study.module)])) / len(
            study.module
        )

    recoveries = {"naive": recovery(hidden=128)}
    for model_id, layers in study.layers.items():
        for layer in parse_model_id(model_id).layers:
            recoveries[f"{model_id}/{layer}"] = recovery(layers, layer)
    return recoveries
