r"""Held-out replication: does a method's module hold genes that separate cases from controls it never saw?

No truth is needed. For a disease with cases C and matched controls R (those reverse training contrasts
it with, :func:`~deepmodules.modules.reverse_training.disease_reference`), split ``s`` of
``verdict.splits`` holds out a random half of every group of samples involved (cases, and each control
phenotype, within each study: ⌊n/2⌋ of each phenotype × study group, fixed seeds). The method's
module M_s (its top k = ``modules.size`` genes) is derived on every sample but the held-out ones,
exactly as the workflow derives it on all samples, and measured on the held-out half H_s.

The held-out contrast is taken within studies wherever it can be: a study that holds at least two
cases and two controls of its own gives the difference Δ_gt of its held-out cases' and controls' means,
and these are averaged with weights w_t = n_case n_control / (n_case + n_control),

.. math::

    d_g = \frac{|\sum_t w_t \Delta_{gt}|}{\sigma_g \sum_t w_t}, \qquad
    \text{replication}_s = \frac{\frac{1}{k} \sum_{g \in M_s} d_g}{\frac{1}{N} \sum_{g} d_g},

with σ_g the gene's pooled within-phenotype sd over the compendium (every sample, a fixed per-gene
scale). Without such a study, Δ_g is the held-out cases against the held-out matched controls (the
``contrast`` column says which). A study's own batch offsets are the same in both halves: against the
controls of other studies they would replicate as if they were disease genes, which rewards a method
for picking the case studies' batch genes (on the simulator the sham disease, whose cases differ from
the matched controls only by their study's batch, then replicated at 1.35, and the naive baseline beat
deep layers that held more of the planted genes); within a study they cancel.

replication is the held-out standardized contrast of the module's genes relative to that of an
average gene: 1 for a module no better than random genes, larger for genes whose contrast replicates,
its excess over 1 about proportional to the share of truly changed genes the module holds. Because the
noise of the held-out half is independent of the half the module was derived on, a gene picked for a
chance contrast on one half scores like a random gene on the other, so the statistic rewards the
genes' true contrast, however a method found them. On split s the module is the consensus of all
R replicate autoencoders of the architecture (:func:`~deepmodules.modules.consensus.consensus_module`),
each fitted with reverse-training seed number (s mod S) + 1: the module the workflow reports, but for
the mean over seeds, which changes little once the reverse networks converge
(``reverse_training.tolerance``).

Over the J splits a method's replication has a mean and a t interval. The splits share samples, so
their values are correlated and the naive standard error s / sqrt(J) is too small; the interval uses
the corrected resampled t of Nadeau and Bengio (Machine Learning 52, 2003), standard error
s sqrt(1/J + n_held / n_derived) with n_held / n_derived = 1 for half splits, on J - 1 degrees of
freedom. :mod:`deepmodules.validate.verdict` compares the methods with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from deepmodules.modules.consensus import consensus_module
from deepmodules.modules.reverse_training import (
    disease_reference,
    disease_scores,
    module_top_genes,
    phenotype_labels,
)

SPLIT_COLUMNS = [
    "disease",
    "split",
    "n_replicates",
    "seed",
    "contrast",
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


def study_of(samples: pd.DataFrame) -> pd.Series:
    """Each sample's study, or one study for all where the compendium records none."""
    if "study" in samples.columns:
        return samples["study"].astype(str).reset_index(drop=True)
    return pd.Series("", index=range(len(samples)))


def contrast_groups(
    samples: pd.DataFrame, label: str, control_label: str, phenotypes: list[str]
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """The (cases, controls) row positions the held-out contrast of a disease compares, and its name.

    One pair per study with at least two cases and two controls of its own (``control_label``),
    ``within <n> studies``; without any (or without a ``study`` column), one pair, ``matched controls``: every case against the
    matched control ``phenotypes``.
    """
    labels = phenotype_labels(samples, control_label).reset_index(drop=True)
    study = study_of(samples) if "study" in samples.columns else pd.Series(range(len(samples)))
    is_case = (samples["disease"] == label).to_numpy()
    is_control = (samples["disease"] == control_label).to_numpy()
    pairs = []
    for name in pd.unique(study[is_case]):
        in_study = (study == name).to_numpy()
        cases, controls = np.flatnonzero(is_case & in_study), np.flatnonzero(is_control & in_study)
        if len(cases) >= 2 and len(controls) >= 2:
            pairs.append((cases, controls))
    if pairs:
        return pairs, f"within {len(pairs)} studies"
    matched = np.flatnonzero(labels.isin(phenotypes).to_numpy())
    return [(np.flatnonzero(is_case), matched)], "matched controls"


def half_splits(
    groups: pd.Series, members: np.ndarray, n_splits: int, seed: int
) -> list[np.ndarray]:
    """Held-out masks over samples: per split, ⌊n/2⌋ random ``members`` (positions) of each group."""
    masks = []
    by_group = pd.Series(members).groupby(groups.iloc[members].to_numpy(), sort=True)
    for split in range(n_splits):
        rng = np.random.default_rng([seed, split])
        held = np.zeros(len(groups), dtype=bool)
        for _, rows in by_group:
            held[rng.permutation(rows.to_numpy())[: len(rows) // 2]] = True
        masks.append(held)
    return masks


def heldout_contrast(
    values: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]], sd: np.ndarray
) -> np.ndarray:
    """d_g: the weighted mean over (cases, controls) pairs of their difference of means, absolute,
    over σ_g (0 where σ_g is 0); weights n_case n_control / (n_case + n_control)."""
    total, weights = 0.0, 0.0
    for cases, controls in pairs:
        weight = len(cases) * len(controls) / (len(cases) + len(controls))
        diff = np.asarray(values[cases], dtype=np.float64).mean(axis=0) - np.asarray(
            values[controls], dtype=np.float64
        ).mean(axis=0)
        total, weights = total + weight * diff, weights + weight
    mean = np.abs(total / weights)
    return np.divide(mean, sd, out=np.zeros_like(mean), where=sd > 0)


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
    splittable = {}
    involved = np.zeros(len(samples), dtype=bool)
    for disease_id, label in diseases.items():
        if disease_id in skipped:
            continue
        reference = disease_reference(samples, labels, label, control_label, "expression")
        pairs, name = contrast_groups(samples, label, control_label, reference.phenotypes)
        cases, controls = pairs[0]
        if len(cases) < 2 or len(controls) < 2:
            skipped[disease_id] = "fewer than 2 cases or 2 matched controls to split in halves"
            continue
        splittable[disease_id] = (pairs, name)
        # every sample that reverse training contrasts or the held-out contrast reads is halved
        involved |= labels.isin([label, *reference.phenotypes]).to_numpy()
        for cases, controls in pairs:
            involved[cases] = involved[controls] = True
    labels = labels.reset_index(drop=True)
    strata = labels + " | " + study_of(samples)
    masks = half_splits(strata, np.flatnonzero(involved), n_splits, seed) if splittable else []
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
        fit_seed = settings["seeds"][split % len(settings["seeds"])]
        fits = [
            disease_scores(
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
            for where in runs
        ]
        for disease_id, (pairs, name) in splittable.items():
            held_pairs = [
                (cases[held[cases]], controls[held[controls]]) for cases, controls in pairs
            ]
            module = consensus_module([fit[disease_id] for fit in fits], size, 1)
            top, status = module_top_genes(module, size)
            row = {
                "disease": disease_id,
                "split": split + 1,
                "n_replicates": len(runs),
                "seed": fit_seed,
                "contrast": name,
                "n_heldout_cases": sum(len(c) for c, _ in held_pairs),
                "n_heldout_controls": sum(len(r) for _, r in held_pairs),
            }
            if status != "scored":
                rows.append({**row, "status": status})
                continue
            module_rows = np.array([gene_rows[g] for g in top])
            score = replication_score(heldout_contrast(values, held_pairs, sd), module_rows)
            rows.append({**row, "replication": score, "status": "replicated"})
    return pd.DataFrame(rows, columns=SPLIT_COLUMNS)


# n_held / n_derived of the corrected resampled t (module docstring): half splits.
HELD_OUT_RATIO = 1.0


def t_interval(
    x: np.ndarray, confidence: float, one_sided: bool = False
) -> tuple[float, float, float]:
    """Mean of ``x`` over splits and its corrected resampled t interval (NaN without two finite
    values): standard error sd sqrt(1/J + n_held / n_derived). ``one_sided``: the bounds are each a
    one-sided bound at ``confidence`` (t quantile ``confidence`` instead of (1 + confidence) / 2)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return (float(x.mean()) if len(x) else np.nan), np.nan, np.nan
    se = x.std(ddof=1) * np.sqrt(1 / len(x) + HELD_OUT_RATIO)
    level = confidence if one_sided else (1 + confidence) / 2
    half = stats.t.ppf(level, len(x) - 1) * se
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def summarize(splits: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per (model, layer, disease): mean replication over splits, its t interval and the splits used."""
    rows = []
    for (model, layer, disease), group in splits.groupby(["model", "layer", "disease"], sort=False):
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


def paired_difference(
    splits: pd.DataFrame,
    disease: str,
    first: tuple[str, str],
    second: tuple[str, str],
    confidence: float,
) -> tuple[float, float, float]:
    """Mean of replication(``first``) - replication(``second``), two (model, layer) modules of one
    disease paired by split, and its one-sided lower and upper bounds at ``confidence``."""
    of = splits[splits["disease"] == disease]

    def series(model: str, layer: str) -> pd.Series:
        chosen = of[(of["model"] == model) & (of["layer"] == layer)]
        return chosen.set_index("split")["replication"]

    return t_interval((series(*first) - series(*second)).dropna().to_numpy(), confidence, True)
