r"""Planted-truth scorecard: how well each method's gene ranking recovers the planted disease genes.

On a simulated compendium the ground truth (``ground_truth.json``) lists, per disease, the genes the
disease was planted in (``module_genes``). A module score table ranks all expressed genes (rank 1 =
highest score). For a disease with planted set T within the ranked genes (n = |T| of N genes) and the
top-k genes M_k:

.. math::

    \text{precision@}k = |M_k \cap T| / k, \qquad \text{recall@}k = |M_k \cap T| / n,

for k = ``modules.size``, k = 100 and k = n (``precision_at_n_planted``, where precision and recall meet:
1 when the planted genes are exactly the top n); the AUROC is the Mann–Whitney statistic of the scores, U / (n (N − n)): the probability that a
planted gene outscores a non-planted one (ties count one half); 1 is a perfect ranking, 0.5 chance, 0 a
reversed one. ``auroc_p`` is the one-sided Mann–Whitney p-value of AUROC > 0.5. Each row's ``note``
says where the method fails: not above chance (``auroc_p`` ≥ ``alpha``), or more than ``margin`` below
the naive baseline's AUROC for the same disease.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
from scipy import stats

from deepmodules.errors import InputError
from deepmodules.stats import ALPHA

COLUMNS = [
    "model",
    "layer",
    "disease",
    "n_genes",
    "n_planted",
    "k",
    "precision_at_k",
    "recall_at_k",
    "precision_at_100",
    "recall_at_100",
    "precision_at_n_planted",
    "auroc",
    "auroc_p",
    "note",
]


def planted_genes(path: str | os.PathLike) -> dict[str, list[str]]:
    """Planted genes of every simulated disease (compendium and external) in a ground-truth file.

    Negative controls have none (an empty list).
    """
    try:
        truth = json.loads(open(path).read())
        groups = [truth["diseases"], truth.get("external", {})]
        return {d: list(spec["module_genes"]) for group in groups for d, spec in group.items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(
            path,
            f"not a readable ground truth with diseases and their module_genes ({error})",
            "point at the ground_truth.json written by the simulator",
        ) from error


def recovery(scores: pd.DataFrame, planted: set[str], k: int) -> dict[str, float | int]:
    """precision@k, recall@k (k and 100), precision@n, AUROC and its p-value of one ranked table.

    ``scores`` has columns ``gene`` and ``score`` (higher = more disease-related).

    Planted genes missing from the table are left out (``n_planted`` counts those ranked). Without
    planted genes every measure is NaN.
    """
    ordered = scores.sort_values(["score", "gene"], ascending=[False, True], kind="stable")
    is_planted = ordered["gene"].isin(planted).to_numpy()
    n, n_genes = int(is_planted.sum()), len(is_planted)
    result: dict[str, float | int] = {"n_genes": n_genes, "n_planted": n, "k": k}
    for name, top in (("at_k", k), ("at_100", 100)):
        hits = int(is_planted[:top].sum())
        result[f"precision_{name}"] = hits / min(top, n_genes) if n else np.nan
        result[f"recall_{name}"] = hits / n if n else np.nan
    result["precision_at_n_planted"] = is_planted[:n].mean() if n else np.nan
    if 0 < n < n_genes:
        score = ordered["score"].to_numpy(dtype=float)
        test = stats.mannwhitneyu(score[is_planted], score[~is_planted], alternative="greater")
        result["auroc"] = float(test.statistic) / (n * (n_genes - n))
        result["auroc_p"] = float(test.pvalue)
    else:
        result["auroc"] = result["auroc_p"] = np.nan
    return result


def scorecard(
    tables: dict[tuple[str, str, str], pd.DataFrame],
    planted: dict[str, list[str]],
    k: int,
    naive: str | None = None,
    alpha: float = ALPHA,
    margin: float = 0.05,
) -> pd.DataFrame:
    """One row per (model, layer, disease) score table of a disease with a ground truth.

    ``naive`` is the model id of the naive baseline, whose AUROC each other method is compared with.
    """
    rows = [
        {"model": model, "layer": layer, "disease": disease}
        | recovery(table, set(planted[disease]), k)
        for (model, layer, disease), table in tables.items()
        if disease in planted
    ]
    card = pd.DataFrame(rows, columns=COLUMNS[:-1])
    baseline = card[card["model"] == naive].set_index("disease")["auroc"]
    card["note"] = [
        _note(row, baseline, naive, alpha, margin) for row in card.itertuples(index=False)
    ]
    return card


def _note(row, baseline: pd.Series, naive: str | None, alpha: float, margin: float) -> str:
    if row.n_planted == 0:
        return "no planted genes (negative control)"
    notes = []
    if not row.auroc_p < alpha:
        notes.append(f"not above chance (AUROC {row.auroc:.2f}, p = {row.auroc_p:.2g})")
    if row.model != naive and row.auroc < baseline.get(row.disease, np.nan) - margin:
        notes.append(f"below naive (AUROC {row.auroc:.2f} vs {baseline[row.disease]:.2f})")
    return "; ".join(notes) or "recovered"


def summary(card: pd.DataFrame) -> pd.DataFrame:
    """Mean over the diseases with planted genes of each measure, per model and layer."""
    measures = ["precision_at_k", "recall_at_k", "precision_at_n_planted", "auroc"]
    tested = card[card["n_planted"] > 0]
    means = tested.groupby(["model", "layer"], sort=False)[measures].mean()
    means["above_chance"] = tested.groupby(["model", "layer"], sort=False)["note"].agg(
        lambda notes: int(sum("not above chance" not in note for note in notes))
    )
    means["n_diseases"] = tested.groupby(["model", "layer"], sort=False).size()
    return means.reset_index()
