"""Clustering of samples in autoencoder space against gene space.

The paper ("Functionally similar samples colocalized in the third layer", Fig. 4) projects each
hidden layer's sample representation, and the full gene-space expression as a reference, on its
first two principal components, computes the silhouette index of every cell type and disease group
there, and counts the groups whose silhouette in a layer exceeds the gene-space one by at least
0.1, with a binomial test.

Degraded inputs do not stop the analysis: a grouping with fewer than two groups of two or more
samples (one cell type, one study) and a layer with fewer than two live nodes cannot give a
silhouette, and are recorded as rows with a ``status`` of ``skipped: <reason>`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import silhouette_samples

from deepmodules.data.compendium import row_blocks
from deepmodules.errors import InputError

SILHOUETTE_COLUMNS = [
    "layer",
    "group_kind",
    "group",
    "n",
    "silhouette",
    "n_dimensions",
    "n_flat_nodes",
    "status",
]
SUMMARY_COLUMNS = ["layer", "group_kind", "n_groups", "n_better", "odds_ratio", "p_value", "status"]


# Rows per block of the data read at once (2,048 × 20,000 float64 values: 330 MB).
ROW_BLOCK = 2048
# Features up to which the covariance matrix is decomposed exactly (the widest layer, 1,024 nodes).
EXACT_FEATURES = 1024
# Extra directions and convergence of the subspace iteration used above EXACT_FEATURES: on the
# paper-sized microarrays the two leading components converge in 7 iterations with 30 extra
# directions (22 with 10; scikit-learn's randomized PCA, 7 power iterations, stops 0.2-0.8 % short).
OVERSAMPLE, ITERATION_TOL, MAX_ITERATIONS = 30, 1e-11, 200


def pca_coordinates(
    x: np.ndarray, n_components: int = 2, seed: int = 0, rows: np.ndarray | None = None
) -> np.ndarray:
    """Scores of the samples (``rows`` of x, all by default) on the first principal components.

    With X_c the selected rows centred per feature, X_c = U S V^T, the scores are X_c V_k = U_k S_k
    for the k = ``n_components`` leading components (signs are arbitrary; a silhouette does not
    depend on them). X is read ``ROW_BLOCK`` rows at a time and never copied or centred whole, so a
    memory-mapped compendium of the paper's size (59,532 × 18,999) needs a few hundred MB:
    V_k are the leading eigenvectors of the covariance X_c^T X_c, decomposed exactly up to
    ``EXACT_FEATURES`` features, else found by subspace iteration on k + ``OVERSAMPLE`` directions,
    Q <- orth(X_c^T X_c Q) (Halko, Martinsson & Tropp 2011, Algorithm 4.4), with a Rayleigh-Ritz
    step in span(Q) at each iteration until its k leading Ritz values change by less than
    ``ITERATION_TOL`` relative.
    ``seed`` fixes the iteration's start.
    """
    rows = np.arange(x.shape[0]) if rows is None else np.asarray(rows)
    n, p = len(rows), (x.shape[1] if x.ndim == 2 else 0)
    if x.ndim != 2 or min(n, p) < n_components:
        raise InputError(
            "pca_coordinates",
            f"data of shape {(n, p)} cannot give {n_components} components",
            "pass a samples x features matrix with at least as many samples and features as components",
        )
    mean = np.zeros(p)
    for block in row_blocks(x, rows, ROW_BLOCK):
        if not np.isfinite(block).all():
            raise InputError("pca_coordinates", "data contain NaN or inf", "impute or drop them")
        mean += block.sum(axis=0)
    mean /= n

    def gram(q: np.ndarray | None) -> np.ndarray:  # X_c^T X_c q, or X_c^T X_c for q None
        out = np.zeros((p, p) if q is None else q.shape)
        for block in row_blocks(x, rows, ROW_BLOCK):
            block -= mean
            out += block.T @ block if q is None else block.T @ (block @ q)
        return out

    if p <= EXACT_FEATURES:
        covariance = gram(None)
        components = np.linalg.eigh(covariance)[1][:, ::-1][:, :n_components]
    else:
        q = np.random.default_rng(seed).standard_normal((p, min(n_components + OVERSAMPLE, n, p)))
        q, values = np.linalg.qr(q)[0], None
        for _ in range(MAX_ITERATIONS):
            product = gram(q)
            theta, vectors = np.linalg.eigh(q.T @ product)  # Rayleigh-Ritz in span(Q)
            ritz = theta[::-1][:n_components]
            components = (q @ vectors[:, ::-1])[:, :n_components]
            if values is not None and np.all(np.abs(ritz - values) <= ITERATION_TOL * ritz):
                break
            values, q = ritz, np.linalg.qr(product)[0]
    scores = np.empty((n, n_components))
    start = 0
    for block in row_blocks(x, rows, ROW_BLOCK):
        scores[start : start + len(block)] = (block - mean) @ components
        start += len(block)
    return scores


def group_silhouettes(coords: np.ndarray, labels: Sequence) -> pd.DataFrame:
    """Mean silhouette width of each labelled group of samples.

    For sample i in group A, s(i) = (b(i) - a(i)) / max(a(i), b(i)), with a(i) the mean Euclidean
    distance to the other members of A and b(i) the smallest mean distance to another group; the
    group's silhouette is the mean of s(i) over its members (1: tight and apart, around 0: mixed).
    Samples with a missing label and groups of one sample are left out before computing.
    """
    coords = np.asarray(coords, dtype=float)
    labels = pd.Series(np.asarray(labels, dtype=object))
    if len(labels) != len(coords):
        raise InputError(
            "group_silhouettes",
            f"{len(labels)} labels for {len(coords)} samples",
            "pass one label per row of coords",
        )
    sizes = labels.value_counts()
    keep = (labels.notna() & labels.map(sizes).ge(2)).to_numpy()
    kept = labels[keep]
    if kept.nunique() < 2:
        raise InputError(
            "group_silhouettes",
            f"{kept.nunique()} groups have two or more samples",
            "pass labels with at least two groups of at least two samples",
        )
    width = pd.Series(silhouette_samples(coords[keep], kept.to_numpy()), index=kept.index)
    table = width.groupby(kept).agg(["size", "mean"]).reset_index()
    table.columns = ["group", "n", "silhouette"]
    return table


def live_codes(codes: np.ndarray, activity: pd.DataFrame, layer: str, where: str) -> np.ndarray:
    """The columns of a layer's codes (samples × nodes) whose nodes are not flat.

    activity: the ``node_activity.tsv`` table (:func:`deepmodules.model.activity.read_activity`); a flat
    node barely moves over the compendium, so it carries no sample structure for the projection.
    """
    rows = activity[activity["layer"] == layer]
    if len(rows) != codes.shape[1]:
        raise InputError(
            where,
            f"lists {len(rows)} nodes of {layer}, the model has {codes.shape[1]}",
            "rerun the train rule for this model",
        )
    return codes[:, ~rows["flat"].to_numpy()]


def usable_groups(labels: Sequence) -> int:
    """The number of groups with two or more samples (missing labels left out)."""
    sizes = pd.Series(np.asarray(labels, dtype=object)).dropna().value_counts()
    return int((sizes >= 2).sum())


def silhouette_table(
    spaces: dict[str, np.ndarray],
    groupings: dict[str, tuple[np.ndarray, np.ndarray]],
    flat_nodes: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Silhouette of every group of every grouping in the 2-PC projection of every space.

    spaces: name -> samples × dimensions (the gene space, and each layer's live nodes);
    groupings: kind -> (mask of the samples it compares, their labels). Each (space, kind) gives
    the rows of :func:`group_silhouettes` with ``status`` ``tested``, or one row with ``status``
    ``skipped: <reason>`` when the grouping has fewer than two groups of two or more samples or the
    space has fewer than two dimensions. ``n_dimensions`` is the number of genes or live nodes used,
    ``n_flat_nodes`` the number of flat nodes left out of the space (``flat_nodes``, 0 by default).
    """
    flat_nodes = flat_nodes or {}
    tables = []
    for space, x in spaces.items():
        projections = {}  # groupings of the same samples share one projection
        for kind, (mask, labels) in groupings.items():
            n_groups, name = usable_groups(labels[mask]), kind.replace("_", " ")
            reason = None
            if n_groups < 2:
                reason = f"{n_groups} group{'' if n_groups == 1 else 's'} with ≥2 samples ({name})"
            elif x.shape[1] < 2:
                live = x.shape[1]
                reason = f"{live} live node{'' if live == 1 else 's'} in {space} (a 2-PC projection needs 2)"
            if reason is None:
                key = mask.tobytes()
                if key not in projections:
                    projections[key] = pca_coordinates(x, rows=np.flatnonzero(mask))
                table = group_silhouettes(projections[key], labels[mask])
                table = table.assign(status="tested")
            else:
                table = pd.DataFrame(
                    {"group": [None], "n": [np.nan], "silhouette": [np.nan]}
                ).assign(status=f"skipped: {reason}")
            tables.append(
                table.assign(
                    layer=space,
                    group_kind=kind,
                    n_dimensions=x.shape[1],
                    n_flat_nodes=flat_nodes.get(space, 0),
                )
            )
    return pd.concat(tables, ignore_index=True)[SILHOUETTE_COLUMNS]


def compare_to_genes(
    silhouette_table: pd.DataFrame,
    margin: float,
    p0: float,
    reference: str = "genes",
) -> pd.DataFrame:
    """Per layer and group kind: how many groups cluster better than in gene-space PCA.

    A group counts as better when SI_layer >= SI_genes + margin (groups present in both). With
    n_better of n_groups, the odds ratio is n_better / (n_groups - n_better), as the paper reports
    it (38 of 56 cell types: OR = 2.11), and p_value = P(X >= n_better), X ~ Binomial(n_groups,
    p0). The paper does not state p0; 0.5 reproduces its disease p values (86 of 128:
    P = 6.27e-5), while its cell-type p values equal P(X > n_better) instead.

    silhouette_table: rows of layer (including `reference`), group_kind, group, n, silhouette and
    optionally status (rows not ``tested`` are left out). Returns layer, group_kind, n_groups,
    n_better, odds_ratio, p_value and status: a (layer, group kind) without a tested group in both
    spaces has NaN statistics and the reason of its skip (or ``skipped: no group in both spaces``).
    """
    needed = {"layer", "group_kind", "group", "silhouette"}
    if missing := needed - set(silhouette_table.columns):
        raise InputError(
            "silhouette table", f"lacks columns {sorted(missing)}", "pass silhouette.tsv"
        )
    is_reference = silhouette_table["layer"] == reference
    if not is_reference.any():
        raise InputError(
            "silhouette table",
            f"has no rows for the reference layer {reference!r}",
            "add the gene-space PCA silhouettes",
        )
    keys = ["group_kind", "group"]
    status = silhouette_table.get("status", pd.Series("tested", index=silhouette_table.index))
    tested = (status == "tested").to_numpy()
    paired = silhouette_table[~is_reference & tested].merge(
        silhouette_table.loc[is_reference & tested, [*keys, "silhouette"]],
        on=keys,
        suffixes=("", "_reference"),
    )
    gain = paired["silhouette"] - paired["silhouette_reference"]
    paired["better"] = (gain >= margin) | np.isclose(gain, margin)

    groups = dict(list(paired.groupby(["layer", "group_kind"], sort=True)))
    skipped = silhouette_table.loc[~tested, ["layer", "group_kind"]].assign(status=status[~tested])
    reasons = {(layer, kind): why for layer, kind, why in skipped.itertuples(index=False)}
    pairs = silhouette_table.loc[~is_reference, ["layer", "group_kind"]].drop_duplicates()
    rows = []
    for layer, kind in sorted(pairs.itertuples(index=False, name=None)):
        if (layer, kind) in groups:
            group = groups[(layer, kind)]
            n, better = len(group), int(group["better"].sum())
            odds = better / (n - better) if better < n else np.inf
            rows.append([layer, kind, n, better, odds, stats.binom.sf(better - 1, n, p0), "tested"])
        else:
            reason = reasons.get((layer, kind)) or reasons.get((reference, kind))
            reason = reason or "skipped: no group in both spaces"
            rows.append([layer, kind, 0, 0, np.nan, np.nan, reason])
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
