"""The verdict per disease: which module to believe (``verdict.tsv``).

Every (model, layer) module of a disease is listed with what speaks for it: its replicates' agreement
(``module_stability``, :mod:`deepmodules.modules.consensus`), its held-out replication and t interval
(:mod:`deepmodules.validate.replication`), the matched-null GWAS p-value (``gwas_empirical_p``) and
the encodability of the disease at that layer. The ``recommended`` module is the one that replicates
best on held-out samples, the only one of these measures that needs no truth and treats every method
alike. Replication above 1 is the excess of the module's held-out contrast over random genes, about
proportional to the share of truly changed genes the module holds, so the methods are compared by it:
``deep_below_baseline`` is set for a disease when the deep layer that replicates best falls short of
the naive baseline by more than ``margin`` of the naive baseline's excess, r_naive - 1, with confidence ``confidence``: the one-sided upper bound of
their paired difference over splits, r_deep - r_naive (``deep_minus_naive_upper``, corrected resampled
t), is below -margin (r_naive - 1). The flag claims one direction, so its bound is one-sided; a
shortfall smaller than the margin is a tie, not a failure.

``verdict`` says it in words, and says when not even the recommended module replicates beyond random
genes (the lower end of its interval at or below 1), and which other methods' best modules the
recommended one does not beat (the one-sided lower bound of their paired difference at or below 0:
"tied with"), for a user to weigh them by the other columns.

An external dataset (``external:``, analysed in a run or against a bundle) gets the same verdict per
reference group (:func:`external_verdict`): its cases and that group are split in halves, and each
layer's module and the naive baseline's are derived on one half and measured on the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmodules.model.network import DenseLayer
from deepmodules.validate.replication import heldout_replication, paired_difference, summarize

COLUMNS = [
    "disease",
    "model",
    "layer",
    "module_stability",
    "replication",
    "replication_ci_low",
    "replication_ci_high",
    "n_splits",
    "heldout_cases",
    "heldout_controls",
    "gwas_empirical_p",
    "encodability_r",
    "recommended",
    "deep_minus_naive",
    "deep_minus_naive_upper",
    "deep_below_baseline",
    "verdict",
]


def method_of(model: str) -> str:
    """deep, shallow or naive, from a model id."""
    return next(kind for kind in ("deep", "shallow", "naive") if model.startswith(kind))


def disease_verdict(
    rows: pd.DataFrame,
    splits: pd.DataFrame,
    naive: str | None,
    confidence: float,
    margin: float,
    min_heldout: int,
) -> dict:
    """The per-disease columns of the verdict, from its (model, layer) rows."""
    tested = rows[rows["replication"].notna()]
    if tested.empty:
        return {"recommended_index": None, "verdict": "not assessed: no held-out replication"}
    best = tested.loc[tested["replication"].idxmax()]
    name = f"{best['model']} {best['layer']}"
    out = {"recommended_index": best.name}
    deep = tested[tested["model"].map(method_of) == "deep"]
    below = False
    if naive is not None and not deep.empty and (tested["model"] == naive).any():
        top = deep.loc[deep["replication"].idxmax()]
        mean, _, high = paired_difference(
            splits, top["disease"], (top["model"], top["layer"]), (naive, "h1"), confidence
        )
        excess = float(tested.loc[tested["model"] == naive, "replication"].iloc[0]) - 1
        below = bool(excess > 0 and high < -margin * excess)
        out |= {
            "deep_minus_naive": mean,
            "deep_minus_naive_upper": high,
            "deep_below_baseline": below,
        }
    if not best["replication_ci_low"] > 1:
        out["verdict"] = f"no module replicates beyond random genes (best: {name})"
        return out
    out["verdict"] = f"use {name}"
    ties = tied_with(best, tested, splits, confidence)
    if ties:
        out["verdict"] += f" (tied with {', '.join(ties)}: not told apart over the splits)"
    if below:
        out["verdict"] += (
            f"; the best deep layer ({top['model']} {top['layer']}) replicates worse "
            "than the naive baseline"
        )
    thin = {
        group: int(best[f"heldout_{group}"])
        for group in ("cases", "controls")
        if best[f"heldout_{group}"] < min_heldout
    }
    if thin:
        counts = " and ".join(f"{n} {group}" for group, n in thin.items())
        out["verdict"] += f"; weak evidence: the splits hold out only {counts}"
    return out


def tied_with(
    best: pd.Series, tested: pd.DataFrame, splits: pd.DataFrame, confidence: float
) -> list[str]:
    """The best module of each other method that the best one does not beat: the one-sided lower
    bound of their paired difference over splits is at or below 0."""
    ties = []
    others = tested[tested["model"].map(method_of) != method_of(best["model"])]
    for _, group in others.groupby(others["model"].map(method_of), sort=True):
        runner = group.loc[group["replication"].idxmax()]
        _, low, _ = paired_difference(
            splits,
            best["disease"],
            (best["model"], best["layer"]),
            (runner["model"], runner["layer"]),
            confidence,
        )
        if not low > 0:
            ties.append(f"{runner['model']} {runner['layer']}")
    return ties


def verdict_table(
    summary: pd.DataFrame,
    splits: pd.DataFrame,
    stability: pd.DataFrame,
    gwas: pd.DataFrame,
    encodability: pd.DataFrame,
    naive: str | None,
    confidence: float,
    margin: float,
    min_heldout: int,
) -> pd.DataFrame:
    """One row per disease, model and layer (:data:`COLUMNS`).

    ``summary`` and ``splits`` are :func:`~deepmodules.validate.replication.summarize` and the split
    rows with ``model`` and ``layer``, whose fewest held-out cases and controls over the splits become
    ``heldout_cases`` and ``heldout_controls`` (``min_heldout``: :func:`disease_verdict`); ``stability`` has disease, model, layer, module_stability;
    ``gwas`` the enrichment table of the configured mapping; ``encodability`` that table.
    """
    keys = ["disease", "model", "layer"]
    held = splits.groupby(keys, sort=False)[["n_heldout_cases", "n_heldout_controls"]].min()
    held.columns = ["heldout_cases", "heldout_controls"]
    table = summary.merge(held.reset_index(), on=keys, how="left")
    table = table.merge(stability, on=keys, how="left")
    gwas = gwas.rename(columns={"empirical_p_value": "gwas_empirical_p"})
    table = table.merge(gwas[[*keys, "gwas_empirical_p"]], on=keys, how="left")
    table = table.merge(encodability[[*keys, "encodability_r"]], on=keys, how="left")
    table["recommended"] = False
    table["deep_below_baseline"] = False
    for column in ("deep_minus_naive", "deep_minus_naive_upper"):
        table[column] = np.nan
    table["verdict"] = ""
    for _, rows in table.groupby("disease", sort=False):
        result = disease_verdict(rows, splits, naive, confidence, margin, min_heldout)
        index = result.pop("recommended_index")
        if index is not None:
            table.loc[index, "recommended"] = True
        for column, value in result.items():
            table.loc[rows.index, column] = value
    return table[COLUMNS]


def external_name(external: str, reference: str, references: list[str]) -> str:
    """The name of an external dataset's contrast in the tables and figures: the dataset's, and the
    reference group's where it has several (as :func:`deepmodules.figures.with_series` names them)."""
    return f"{external} vs {reference}" if len(references) > 1 else external


def external_verdict(
    external: str,
    sheet: pd.DataFrame,
    x: np.ndarray,
    spec: dict,
    genes: list[str],
    gene_span: np.ndarray,
    model: str,
    layers: list[DenseLayer],
    layer_names: list[str],
    naive_hidden: int,
    settings: dict,
    size: int,
    gwas: pd.DataFrame,
    verdict: dict,
    seed: int,
) -> pd.DataFrame:
    """Which module of external dataset ``external`` to believe, against each reference group.

    The samples ``x`` (:func:`deepmodules.data.external.to_compendium`) are coded with their
    ``sheet`` group, the reference group standing in for the controls; the held-out replication of
    the module of every layer of ``layer_names`` and of the naive baseline with ``naive_hidden``
    nodes (:func:`~deepmodules.validate.replication.heldout_replication`, ``verdict["splits"]`` half
    splits of the cases and the group) and the GWAS table of external_dataset (its matched-null p)
    give :func:`verdict_table` (``verdict``: confidence, margin, min_heldout), one row per contrast
    (:func:`external_name`), model and layer; stability and encodability are not measured (NaN).
    """
    samples = pd.DataFrame({"disease": sheet["group"].to_numpy(), "cell_type": "all"})
    naive = f"naive{naive_hidden}"
    runs = [
        (model, layer, {"replicates": [{"layers": layers, "layer": layer}]})
        for layer in layer_names
    ]
    runs.append((naive, "h1", {"hidden": naive_hidden}))
    tables = []
    for group in spec["references"]:
        name = external_name(external, group, spec["references"])
        splits = pd.concat(
            [
                heldout_replication(
                    x,
                    samples,
                    genes,
                    {name: spec["case"]},
                    group,
                    settings,
                    size,
                    verdict["splits"],
                    seed,
                    gene_span=gene_span,
                    **where,
                ).assign(model=method, layer=layer)
                for method, layer, where in runs
            ],
            ignore_index=True,
        )
        own = gwas[gwas["reference"] == group]
        gwas_p = own[["model", "layer", "empirical_p_value"]].assign(disease=name)
        keys = splits[["disease", "model", "layer"]].drop_duplicates()
        tables.append(
            verdict_table(
                summarize(splits, verdict["confidence"]),
                splits,
                keys.assign(module_stability=np.nan),
                gwas_p,
                keys.assign(encodability_r=np.nan),
                naive,
                verdict["confidence"],
                verdict["margin"],
                verdict["min_heldout"],
            )
        )
    return pd.concat(tables, ignore_index=True)
