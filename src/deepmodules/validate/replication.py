r"""Held-out replication: does a method's module hold genes that separate cases from controls it never saw?

No truth is needed. For a disease with cases C and matched controls R (those reverse training contrasts
it with, :func:`~deepmodules.modules.reverse_training.disease_reference`), split ``s`` of
``verdict.splits`` holds out a random half of C and of each control phenotype of R (fixed seeds), so
that every disease has at least one case and one control on each side. The method's module M_s (its
top k = ``modules.size`` genes) is derived on every sample but the held-out ones, exactly as the
workflow derives it on all samples, and measured on the held-out half H_s:

.. math::

    d_g = \frac{|\bar x_{g, C \cap H_s} - \bar x_{g, R \cap H_s}|}{\sigma_g}, \qquad
    \text{replication}_s = \frac{\frac{1}{k} \sum_{g \in M_s} d_g}{\frac{1}{N} \sum_{g} d_g},

with σ_g the gene's pooled within-phenotype sd over the compendium (every sample, a fixed per-gene
scale). replication is the held-out standardized contrast of the module's genes relative to that of
an average gene: 1 for a module no better than random genes, larger for genes whose contrast
replicates. Because the noise of the held-out half is independent of the half the module was derived
on, a gene picked for a chance contrast on one half scores like a random gene on the other, so the
statistic rewards the genes' true contrast, however a method found them: it does not favour the
per-gene contrast of the naive baseline, which picks noise with the signal where samples are few.
Split s fits replicate (s mod R) + 1 of the architecture with reverse-training seed number
(s mod S) + 1, so the spread over splits holds the autoencoder's randomness as well as the sampling.

Over the splits a method's replication has a mean and a t interval (the splits overlap, so the
interval is approximate). The verdict compares the deep layer that replicates best with the naive
baseline split by split: ``deep_below_baseline`` is set where the upper end of the t interval of the
paired differences is below 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from deepmodules.modules.reverse_training import (
    disease_reference,
    disease_scores,
    phenotype_labels,
)

SPLIT_COLUMNS = [
    "disease",
    "split",
    "replicate",
    "seed",
    "n_heldout_cases",
    "n_heldout_controls",
    "replication",
    "status",
]
SUMMARY_COLUMNS = ["replication", "replication_ci_low", "replication_ci_high", "n_splits"]


def within_phenotype_sd(values: np.ndarray, labels: pd.Series, block: int = 2048) -> np.ndarray:
    """σ_g: each gene's sd around its phenotype's mean, pooled over phenotypes (blocks of genes)."""
    codes, uniques = pd.factorize(labels)
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    dof = max(len(codes) - len(uniques), 1)
    sd = np.empty(values.shape[1])
    for start in range(0, values.shape[1], block):
        x = np.asarray(values[:, start : start + block], dtype=np.float64)
        sums = np.zeros((len(uniques), x.shape[1]))
        np.add.at(sums, codes, x)
        squares = (x * x).sum(axis=0) - ((sums**2) / counts[:, None]).sum(axis=0)
        sd[start : start + block] = np.sqrt(np.maximum(squares, 0) / dof)
    return sd


def disease_groups(
    samples: pd.DataFrame, diseases: dict[str, str], control_label: str
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Row positions of each disease's cases and the control phenotypes it is contrasted with."""
    labels = phenotype_labels(samples, control_label)
    groups = {}
    for disease_id, label in diseases.items():
        reference = disease_reference(samples, labels, label, control_label, "expression")
        cases = np.flatnonzero((samples["disease"] == label).to_numpy())
        groups[disease_id] = (cases, reference.phenotypes)
    return groups


def half_splits(labels: pd.Series, phenotypes: set[str], n_splits: int, seed: int) -> list[np.ndarray]:
    """Held-out masks over samples: per split, floor(n / 2) random samples of each of ``phenotypes``."""
    masks = []
    for split in range(n_splits):
        rng = np.random.default_rng([seed, split])
        held = np.zeros(len(labels), dtype=bool)
        for phenotype in sorted(phenotypes):
            rows = np.flatnonzero((labels == phenotype).to_numpy())
            held[rng.permutation(rows)[: len(rows) // 2]] = True
        masks.append(held)
    return masks


def heldout_contrast(
    values: np.ndarray, cases: np.ndarray, controls: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    """d_g: the absolute difference of the case and control means over σ_g (0 where σ_g is 0)."""
    diff = np.abs(
        np.asarray(values[cases], dtype=np.float64).mean(axis=0)
        - np.asarray(values[controls], dtype=np.float64).mean(axis=0)
    )
    return np.divide(diff, sd, out=np.zeros_like(diff), where=sd > 0)


def replication_score(contrast: np.ndarray, module_rows: np.ndarray) -> float:
    """Mean d_g over the module's genes relative to the mean over every gene (1 = random genes)."""
    average = contrast.mean()
    return float(contrast[module_rows].mean() / average) if average > 0 else np.nan


def heldout_replication(
    values: np.ndarray,
    samples: pd.DataFrame,
    genes: list[str],
    diseases: dict[str, str],
    control_label: str,
    settings: dict,
    size: int,
    n_splits: int,
    seed: int,
    replicates: list[dict] | None = None,
    hidden: int | None = None,
    gene_span: np.ndarray | None = None,
    skipped: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Replication of one method's module of every disease (id -> label) over ``n_splits`` splits.

    ``replicates`` are the keyword arguments of :func:`disease_scores` for each replicate
    autoencoder (``layers`` and ``layer``); None for the naive baseline with ``hidden`` nodes.
    ``settings`` are reverse training's; ``skipped`` maps the diseases the workflow does not score
    to the reason. Returns one row per disease and split (:data:`SPLIT_COLUMNS`).
    """
    skipped = dict(skipped or {})
    labels = phenotype_labels(samples, control_label)
    groups = disease_groups(samples, diseases, control_label)
    splittable = {}
    for disease_id, (cases, phenotypes) in groups.items():
        controls = labels.isin(phenotypes).to_numpy()
        if disease_id in skipped:
            continue
        if len(cases) < 2 or controls.sum() < 2 or not phenotypes:
            skipped[disease_id] = "fewer than 2 cases or 2 matched controls to split in halves"
        else:
            splittable[disease_id] = (cases, controls)
    to_split = {labels.iloc[c[0]] for c, _ in splittable.values()}
    to_split |= {p for d in splittable for p in groups[d][1]}
    masks = half_splits(labels, to_split, n_splits, seed) if splittable else []
    sd = within_phenotype_sd(values, labels) if splittable else None
    gene_rows = {gene: i for i, gene in enumerate(genes)}
    runs = replicates or [{"hidden": hidden}]
    rows = [
        {"disease": d, "split": s + 1, "status": reason}
        for d, reason in skipped.items()
        if d in diseases
        for s in range(n_splits)
    ]
    for split, held in enumerate(masks):
        where = runs[split % len(runs)]
        fit_seed = settings["seeds"][split % len(settings["seeds"])]
        tables = disease_scores(
            values,
            samples,
            genes,
            {d: diseases[d] for d in splittable},
            control_label,
            {**settings, "seeds": [fit_seed]},
            gene_span=gene_span,
            rows=np.flatnonzero(~held),
            **where,
        )
        for disease_id, (cases, controls) in splittable.items():
            held_cases = cases[held[cases]]
            held_controls = np.flatnonzero(controls & held)
            table = tables[disease_id]
            row = {
                "disease": disease_id,
                "split": split + 1,
                "replicate": split % len(runs) + 1,
                "seed": fit_seed,
                "n_heldout_cases": len(held_cases),
                "n_heldout_controls": len(held_controls),
            }
            if table["status"].iloc[0] != "scored":
                rows.append({**row, "status": table["status"].iloc[0]})
                continue
            module_rows = np.array([gene_rows[g] for g in table.nsmallest(size, "rank")["gene"]])
            contrast = heldout_contrast(values, held_cases, held_controls, sd)
            score = replication_score(contrast, module_rows)
            rows.append({**row, "replication": score, "status": "replicated"})
    return pd.DataFrame(rows, columns=SPLIT_COLUMNS)


def t_interval(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and the t interval of the mean of ``x`` (NaN without two finite values)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return (float(x.mean()) if len(x) else np.nan), np.nan, np.nan
    half = stats.t.ppf((1 + confidence) / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def summarize(splits: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per (model, layer, disease): mean replication over splits, its t interval and the splits used."""
    rows = []
    for (model, layer, disease), group in splits.groupby(
        ["model", "layer", "disease"], sort=False
    ):
        mean, low, high = t_interval(group["replication"].to_numpy(dtype=float), confidence)
        rows.append(
            {
                "model": model,
                "layer": layer,
                "disease": disease,
                "replication": mean,
                "replication_ci_low": low,
                "replication_ci_high": high,
                "n_splits": int(group["replication"].notna().sum()),
            }
        )
    return pd.DataFrame(rows, columns=["model", "layer", "disease", *SUMMARY_COLUMNS])


def deep_versus_naive(
    splits: pd.DataFrame, deep: str, naive: str, disease: str, layer: str, confidence: float
) -> tuple[float, float, float]:
    """Mean and t interval of replication(deep ``layer``) - replication(naive), paired by split."""
    of = splits[splits["disease"] == disease]
    a = of[(of["model"] == deep) & (of["layer"] == layer)].set_index("split")["replication"]
    b = of[of["model"] == naive].set_index("split")["replication"]
    return t_interval((a - b).dropna().to_numpy(), confidence)
