"""Reconstruction error of an autoencoder (paper, Results: "A deepAE with 512 nodes explained 95% of variance").

The error is 1 - R^2. Globally, with one data variance over all entries,

    R^2 = 1 - sum_ij (x_ij - xhat_ij)^2 / sum_ij (x_ij - mean(x))^2,

and per gene j with the gene's own variance,

    R^2_j = 1 - sum_i (x_ij - xhat_ij)^2 / sum_i (x_ij - mean_i(x_ij))^2.

The reconstruction gate flags a model whose gene-wise median test R^2, median_j R^2_j on the held-out
samples, is below ``training.min_median_r2``: such a model has not learnt the compendium, and what its
nodes light up is not a property of the data.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.data.compendium import row_blocks
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.network import DenseLayer, reconstruct

log = logging.getLogger(__name__)


def r2_global(x: np.ndarray, xhat: np.ndarray) -> float:
    """R^2 over all entries with a single (global) data variance."""
    x = np.asarray(x, dtype=np.float64)
    residual = np.square(x - xhat).sum()
    total = np.square(x - x.mean()).sum()
    return float(1.0 - residual / total)


def r2_per_gene(x: np.ndarray, xhat: np.ndarray) -> np.ndarray:
    """R^2 of every gene (column) with its own variance; NaN for genes constant in ``x``."""
    x = np.asarray(x, dtype=np.float64)
    residual = np.square(x - xhat).sum(axis=0)
    total = np.square(x - x.mean(axis=0)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)


# Rows of a split read, reconstructed and summed at a time: a split of an ARCHS4-sized compendium
# (50,000 × 19,000) is never held whole, nor its reconstruction and their float64 differences.
ROW_BLOCK = 4096


def split_r2(
    layers: list[DenseLayer], values: np.ndarray, rows: np.ndarray, block: int = ROW_BLOCK
) -> tuple[float, np.ndarray]:
    """:func:`r2_global` and :func:`r2_per_gene` of the samples ``rows`` of ``values`` (memory-mapped or
    not) and their reconstruction, summed over blocks of ``block`` rows in two passes: the means first,
    then the squared residuals and the squares about the means, so memory does not grow with the rows.
    """
    means = np.zeros(values.shape[1])
    for x in row_blocks(values, rows, block):
        means += x.sum(axis=0)
    means /= len(rows)
    grand = means.mean()
    residual, total = np.zeros(values.shape[1]), np.zeros(values.shape[1])
    total_global = 0.0
    for x in row_blocks(values, rows, block):
        residual += np.square(x - reconstruct(layers, x)).sum(axis=0)
        total += np.square(x - means).sum(axis=0)
        total_global += float(np.square(x - grand).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        genes = np.where(total > 0, 1.0 - residual / total, np.nan)
    return float(1.0 - residual.sum() / total_global), genes


def model_reconstruction(
    model_id: str, layers: list[DenseLayer], values: np.ndarray, train: np.ndarray, genes: list[str]
) -> tuple[list[dict], pd.DataFrame]:
    """One model's rows of ``reconstruction.tsv`` (per split: its architecture, global R^2, gene-wise
    median R^2) and its gene-wise R^2 (model, split, gene, r2)."""
    spec = parse_model_id(model_id)
    rows, per_gene = [], []
    for split, mask in (("train", train), ("test", ~train)):
        r2_all, r2_genes = split_r2(layers, values, np.flatnonzero(mask))
        rows.append(
            {
                "model": model_id,
                "depth": spec.depth,
                "width": spec.width,
                "variant": spec.variant,
                "split": split,
                "r2_global": r2_all,
                "r2_gene_median": float(np.nanmedian(r2_genes)),
            }
        )
        per_gene.append(
            pd.DataFrame({"model": model_id, "split": split, "gene": genes, "r2": r2_genes})
        )
    return rows, pd.concat(per_gene, ignore_index=True)


def gate(table: pd.DataFrame, min_median_r2: float) -> pd.DataFrame:
    """Add ``reconstruction_ok`` and ``note`` to a reconstruction table (rows per model and split).

    A model passes when its gene-wise median R^2 on the test split (``r2_gene_median``) is at least
    ``min_median_r2``; every row of the model carries the verdict, and each failing model is logged.
    """
    test = table[table["split"] == "test"].set_index("model")["r2_gene_median"]
    ok = test >= min_median_r2
    table = table.assign(reconstruction_ok=table["model"].map(ok).fillna(False).astype(bool))
    note = {
        model: f"median test R² {value:.3g} < training.min_median_r2 {min_median_r2:g}: "
        "the model did not learn the compendium (train longer, or a larger learning rate)"
        for model, value in test[~ok].items()
    }
    for model, text in note.items():
        log.warning("%s: %s", model, text)
    return table.assign(note=table["model"].map(note).fillna(""))


def failed_models(path: str | Path) -> set[str]:
    """The models that failed the reconstruction gate in a ``reconstruction.tsv`` (see :func:`gate`)."""
    table = pd.read_csv(path, sep="\t", keep_default_na=False)
    ok = table["reconstruction_ok"].astype(str).str.lower().isin(["true", "1"])
    return set(table.loc[~ok, "model"])


def flat_node_columns(counts: pd.DataFrame) -> dict[str, int]:
    """``n_flat_<layer>`` for every hidden layer of a ``deepmodules.model.activity.flat_counts`` table."""
    return {f"n_flat_{row.layer}": int(row.n_flat) for row in counts.itertuples()}
