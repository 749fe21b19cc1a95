"""Encodability: how much of a disease's expression contrast survives the autoencoder.

Reverse training (:mod:`deepmodules.modules.reverse_training`) can only find disease genes in what a hidden
layer encodes. For disease d with case samples C and matched control samples R (the controls of the
cases' main cell type, :func:`~deepmodules.modules.reverse_training.reference_phenotype`; all controls when no
such phenotype exists), the contrast in gene space and its image through hidden layer p are

    Delta x   = mean_{i in C} x_i - mean_{i in R} x_i                         (normalized values)
    Delta x_p = D_p(mean_{i in C} E_p(x_i)) - D_p(mean_{i in R} E_p(x_i)),

with E_p the encoder up to layer p and D_p the layers after it. The encodability of d at p is the
Pearson correlation over genes r_p = cor(Delta x, Delta x_p), and ``contrast_explained`` =
1 - ||Delta x - Delta x_p||^2 / ||Delta x||^2 is the fraction of the contrast reproduced with its
scale (negative when the decoded contrast is further from Delta x than zero is). A layer that decodes
the same output for cases and controls (Delta x_p constant over genes, as with a collapsed code) has
r_p = 0. ``encodable`` is r_p >= ``min_r``: where it is False, the autoencoder drops the disease's
signal at that layer and the naive baseline, trained on the expression itself, is the better choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmodules.model.network import DenseLayer, encode, layers_after, propagate
from deepmodules.modules.reverse_training import phenotype_labels, reference_phenotype

COLUMNS = [
    "model",
    "layer",
    "disease",
    "reference",
    "n_cases",
    "n_controls",
    "encodability_r",
    "contrast_explained",
    "encodable",
    "status",
]


def case_control_groups(
    samples: pd.DataFrame, disease: str, control_label: str
) -> tuple[np.ndarray, np.ndarray, str]:
    """Row positions of the disease's cases and matched controls, and the controls' phenotype name."""
    labels = phenotype_labels(samples, control_label)
    reference = reference_phenotype(samples, labels, disease, control_label)
    cases = np.flatnonzero((samples["disease"] == disease).to_numpy())
    if reference is None:
        controls = np.flatnonzero((samples["disease"] == control_label).to_numpy())
        return cases, controls, f"{control_label} (all)"
    return cases, np.flatnonzero((labels == reference).to_numpy()), reference


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 when either vector is constant."""
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / scale) if scale > 0 else 0.0


def layer_encodability(
    layers: list[DenseLayer],
    values: np.ndarray,
    cases: np.ndarray,
    controls: np.ndarray,
    layer: str,
) -> tuple[float, float]:
    """(r_p, contrast_explained) of one case/control contrast at hidden layer ``layer``."""
    x_cases = np.asarray(values[cases], dtype=np.float64)
    x_controls = np.asarray(values[controls], dtype=np.float64)
    contrast = x_cases.mean(axis=0) - x_controls.mean(axis=0)
    codes = np.stack(
        [encode(layers, x, layer).astype(np.float64).mean(axis=0) for x in (x_cases, x_controls)]
    )
    decoded = propagate(layers_after(layers, layer), codes)
    through = decoded[0] - decoded[1]
    energy = float((contrast * contrast).sum())
    explained = 1 - float(((contrast - through) ** 2).sum()) / energy if energy > 0 else np.nan
    return _pearson(contrast, through), explained


def encodability(
    models: dict[str, list[DenseLayer]],
    pairs: list[tuple[str, str]],
    values: np.ndarray,
    samples: pd.DataFrame,
    diseases: dict[str, str],
    control_label: str,
    min_r: float,
) -> pd.DataFrame:
    """Encodability of every disease (id -> label) at every (model, layer) of ``pairs``.

    ``models`` maps model ids to their dense layers; ``values`` are the normalized samples x genes in
    the row order of ``samples``. A disease without cases or controls gets a row with its status and
    no values.
    """
    rows = []
    for disease_id, label in diseases.items():
        cases, controls, reference = case_control_groups(samples, label, control_label)
        missing = [
            name for name, group in (("cases", cases), ("controls", controls)) if not len(group)
        ]
        for model, layer in pairs:
            row = {
                "model": model,
                "layer": layer,
                "disease": disease_id,
                "reference": reference,
                "n_cases": len(cases),
                "n_controls": len(controls),
            }
            if missing:
                rows.append({**row, "status": f"no {' or '.join(missing)}"})
                continue
            r, explained = layer_encodability(models[model], values, cases, controls, layer)
            rows.append(
                {
                    **row,
                    "encodability_r": r,
                    "contrast_explained": explained,
                    "encodable": r >= min_r,
                    "status": "encoded" if r >= min_r else "signal lost",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
