"""The paper's figures, drawn from the workflow's result tables."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from deepmodules.errors import InputError  # noqa: E402

LAYER_COLORS = {"h1": "#2a9d8f", "h2": "#457b9d", "h3": "#7b2cbf", "genes": "#6c757d"}


def save(fig: plt.Figure, pdf: str | Path, png: str | Path) -> None:
    """Write a figure as PDF and PNG, then close it."""
    fig.tight_layout()
    fig.savefig(pdf)
    fig.savefig(png, dpi=150)
    plt.close(fig)


def reconstruction(table: pd.DataFrame, genes: pd.DataFrame) -> plt.Figure:
    """Fig. 2: a, global error against width; b, c, gene-wise R² of deep and shallow models (test).

    Models that failed the reconstruction gate (``reconstruction_ok`` false, see
    :func:`deepmodules.reconstruction.gate`) are marked with a red cross in a and a red ``✗`` label in
    b and c, and a note under the figure names them; a line under the figure gives each model's flat
    nodes per hidden layer (``n_flat_h1``, … columns).
    """
    failed = set(table.loc[~table["reconstruction_ok"].astype(bool), "model"])
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for (depth, split), group in table.query("variant == 'plain'").groupby(["depth", "split"]):
        group = group.sort_values("width")
        axes[0].plot(
            group["width"],
            group["error"],
            marker="o" if depth == "deep" else "s",
            linestyle="-" if split == "test" else "--",
            label=f"{depth} ({split})",
        )
        bad = group[group["model"].isin(failed)]
        axes[0].scatter(bad["width"], bad["error"], marker="x", s=90, color="red", zorder=3)
    axes[0].set_xscale("log", base=2)
    axes[0].set_xlabel("hidden nodes per layer")
    axes[0].set_ylabel("error = 1 - R² (global)")
    axes[0].set_title("a  reconstruction error")
    axes[0].legend(fontsize=8)
    test = genes[genes["split"] == "test"].dropna(subset=["r2"])
    for ax, depth, letter in ((axes[1], "deep", "b"), (axes[2], "shallow", "c")):
        models = table.query("depth == @depth and split == 'test'").sort_values("width")["model"]
        data = [test.loc[test["model"] == m, "r2"].to_numpy() for m in models]
        if data:
            labels = [f"✗ {m}" if m in failed else m for m in models]
            ax.boxplot(data, tick_labels=labels, showfliers=False)
            for label in ax.get_xticklabels():
                if label.get_text().startswith("✗"):
                    label.set_color("red")
        ax.set_ylabel("gene-wise R² (test)")
        ax.set_title(f"{letter}  {depth} autoencoders")
        ax.tick_params(axis="x", rotation=45)
    flat_columns = [c for c in table.columns if c.startswith("n_flat_")]
    per_model = table.drop_duplicates("model").set_index("model")[flat_columns]
    lines = [
        "flat nodes (activation sd < nodes.flat_sd) per hidden layer: "
        + "; ".join(
            f"{model} " + "/".join(str(int(n)) for n in counts.dropna())
            for model, counts in per_model.iterrows()
        )
    ]
    if failed:
        lines.append(
            f"✗ failed the reconstruction gate (median test R² below training.min_median_r2): "
            f"{', '.join(sorted(failed))}; their modules are not interpretable"
        )
    for i, line in enumerate(reversed(lines)):
        fig.text(0.01, 0.01 + 0.05 * i, line, color="red" if line.startswith("✗") else "black",
                 fontsize=9)  # fmt: skip
    fig.subplots_adjust(bottom=0.33 + 0.05 * (len(lines) - 1))
    return fig


# Model kinds in the order Fig. 3 shows them; models of any other kind follow.
GWAS_MODEL_ORDER = ("deep", "shallow", "naive")
# Columns of the Fig. 3 supplementary table, per model and layer.
GWAS_TABLE_FIELDS = ("overlap", "odds_ratio", "p_value", "q_value")
GWAS_COMBINED_ROW = "Fisher combined"
NOT_APPLICABLE = "not applicable"
NO_DISEASE = "no disease tested"


def gwas_series(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (model, layer) pairs of a GWAS enrichment table in the order of Fig. 3.

    The deep model's layers h1, h2, h3 first, then the shallow autoencoder, then the naive baseline;
    models of the same kind keep their order in the table and their layers are sorted.
    """
    pairs = list(dict.fromkeys(zip(table["model"], table["layer"], strict=True)))
    models = list(dict.fromkeys(model for model, _ in pairs))

    def key(pair: tuple[str, str]) -> tuple[int, int, str]:
        model, layer = pair
        kind = next(
            (i for i, prefix in enumerate(GWAS_MODEL_ORDER) if model.startswith(prefix)),
            len(GWAS_MODEL_ORDER),
        )
        return kind, models.index(model), layer

    return sorted(pairs, key=key)


def gwas_table(table: pd.DataFrame, combined: pd.DataFrame) -> pd.DataFrame:
    """Supplementary table of Fig. 3 (Fig. 6 for RNA-seq): GWAS enrichment of every disease module.

    ``table`` is the long enrichment table (disease, model, layer, overlap, odds_ratio, p_value,
    q_value, status, ...) and ``combined`` Fisher's combined p per layer (model, layer, n_diseases,
    combined_p_value). The result has one row per disease, in the order of ``table``, and a last row
    ``Fisher combined``. After the ``disease`` column come four columns per model and layer, in the
    order of the figure (:func:`gwas_series`), named ``"<model> <layer> <field>"`` for the fields
    overlap, odds_ratio, p_value (one-sided Fisher exact) and q_value (Benjamini-Hochberg). A module
    whose status is not ``tested`` shows its status text in all four cells. The combined row holds the
    combined p in the p_value cell and ``not applicable`` in the others, or ``no disease tested`` as
    p where no disease of that layer was tested. No cell is left empty.
    """
    needed = {"disease", "model", "layer", "status", *GWAS_TABLE_FIELDS}
    if missing := needed - set(table.columns):
        raise InputError(
            "GWAS enrichment table",
            f"columns {sorted(missing)} are missing",
            "pass the gwas_enrichment.tsv written by rule gwas_enrichment",
        )
    if missing := {"model", "layer", "n_diseases", "combined_p_value"} - set(combined.columns):
        raise InputError(
            "GWAS combined table",
            f"columns {sorted(missing)} are missing",
            "pass the gwas_combined.tsv written by rule gwas_enrichment",
        )
    keys = ["disease", "model", "layer"]
    if table.duplicated(keys).any():
        first = table.loc[table.duplicated(keys), keys].iloc[0].tolist()
        raise InputError(
            "GWAS enrichment table",
            f"{' '.join(first)} appears more than once",
            "pass one row per disease, model and layer",
        )
    series = gwas_series(table)
    tested = table[table["status"] == "tested"]
    if tested[["overlap", "p_value"]].isna().any(axis=None):
        raise InputError(
            "GWAS enrichment table",
            "a tested module has no overlap or p-value",
            "rerun rule gwas_enrichment",
        )
    if combined.duplicated(["model", "layer"]).any():
        raise InputError(
            "GWAS combined table",
            "a model and layer appears more than once",
            "pass one row per model and layer",
        )
    combined = combined.set_index(["model", "layer"])
    if unknown := sorted(set(combined.index) - set(series)):
        raise InputError(
            "GWAS combined table",
            f"{' '.join(unknown[0])} is not in the enrichment table",
            "pass the gwas_combined.tsv written together with gwas_enrichment.tsv",
        )
    rows = table.set_index(keys)
    diseases = list(dict.fromkeys(table["disease"]))
    wide: dict[str, list[object]] = {"disease": [*diseases, GWAS_COMBINED_ROW]}
    for model, layer in series:
        cells: dict[str, list[object]] = {field: [] for field in GWAS_TABLE_FIELDS}
        for disease in diseases:
            row = (
                rows.loc[(disease, model, layer)] if (disease, model, layer) in rows.index else None
            )
            for field in GWAS_TABLE_FIELDS:
                if row is None:
                    cells[field].append("missing from the enrichment table")
                elif row["status"] != "tested":
                    cells[field].append(row["status"])
                elif field == "overlap":
                    cells[field].append(int(row[field]))
                else:
                    cells[field].append(float(row[field]))
        n_tested = int(((tested["model"] == model) & (tested["layer"] == layer)).sum())
        if (model, layer) in combined.index:
            n_diseases = int(combined.loc[(model, layer), "n_diseases"])
            if n_diseases != n_tested:
                raise InputError(
                    "GWAS combined table",
                    f"{model} {layer} combines {n_diseases} diseases but {n_tested} were tested",
                    "pass the gwas_combined.tsv written together with gwas_enrichment.tsv",
                )
        elif n_tested:
            raise InputError(
                "GWAS combined table",
                f"{model} {layer} has no combined p-value",
                "pass the gwas_combined.tsv written together with gwas_enrichment.tsv",
            )
        p_value = (
            float(combined.loc[(model, layer), "combined_p_value"]) if n_tested else NO_DISEASE
        )
        for field in GWAS_TABLE_FIELDS:
            cells[field].append(p_value if field == "p_value" else NOT_APPLICABLE)
            wide[f"{model} {layer} {field}"] = cells[field]
    return pd.DataFrame(wide, dtype=object)


def gwas_enrichment(table: pd.DataFrame, alpha: float = 0.05) -> plt.Figure:
    """Fig. 3: -log10 P of GWAS enrichment per disease, one bar per model layer."""
    tested = table[table["status"] == "tested"].copy()
    tested["series"] = tested["model"] + " " + tested["layer"]
    series = [f"{model} {layer}" for model, layer in gwas_series(tested)]
    diseases = list(dict.fromkeys(tested["disease"]))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(diseases)), 4))
    width = 0.8 / max(len(series), 1)
    for i, name in enumerate(series):
        values = tested[tested["series"] == name].set_index("disease")["p_value"]
        heights = [-np.log10(max(values.get(d, np.nan), 1e-300)) for d in diseases]
        ax.bar(np.arange(len(diseases)) + i * width, heights, width, label=name)
    ax.axhline(-np.log10(alpha), color="black", linestyle="--", linewidth=0.8)
    ax.set_xticks(np.arange(len(diseases)) + 0.4 - width / 2, diseases, rotation=30, ha="right")
    ax.set_ylabel("-log10 P (Fisher exact)")
    ax.set_title("GWAS genes among the top-ranked module genes")
    ax.legend(fontsize=8)
    return fig


def silhouette(table: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """Fig. 4: a, -log10 binomial P per layer and group kind; b, silhouette per group, layer vs genes."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    kinds = list(dict.fromkeys(summary["group_kind"]))
    layers = [layer for layer in dict.fromkeys(summary["layer"]) if layer != "genes"]
    width = 0.8 / max(len(layers), 1)
    for i, layer in enumerate(layers):
        rows = summary[summary["layer"] == layer].set_index("group_kind")
        heights = [-np.log10(max(rows["p_value"].get(k, np.nan), 1e-300)) for k in kinds]
        axes[0].bar(
            np.arange(len(kinds)) + i * width,
            heights,
            width,
            label=layer,
            color=LAYER_COLORS.get(layer),
        )
    axes[0].set_xticks(np.arange(len(kinds)) + 0.4 - width / 2, kinds)
    axes[0].set_ylabel("-log10 P (binomial, layer beats gene PCA)")
    axes[0].set_title("a  layers against gene-space PCA")
    axes[0].legend(fontsize=8)
    genes = table[table["layer"] == "genes"].set_index(["group_kind", "group"])["silhouette"]
    for layer in layers:
        rows = table[table["layer"] == layer].set_index(["group_kind", "group"])["silhouette"]
        common = rows.index.intersection(genes.index)
        axes[1].scatter(
            genes[common], rows[common], s=14, label=layer, color=LAYER_COLORS.get(layer)
        )
    lims = [-1, 1]
    axes[1].plot(lims, lims, color="black", linewidth=0.8)
    axes[1].set_xlabel("silhouette, gene-space PCA")
    axes[1].set_ylabel("silhouette, layer PCA")
    axes[1].set_title("b  silhouette per group")
    axes[1].legend(fontsize=8)
    return fig


def ppi_colocalization(table: pd.DataFrame) -> plt.Figure:
    """Fig. 5: mean betweenness and harmonic distance of top-k light-up genes per layer, with the null."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (
        ("betweenness", "mean betweenness centrality"),
        ("harmonic_distance", "harmonic distance"),
    )
    for ax, (metric, label) in zip(axes, panels, strict=True):
        for layer, group in table.groupby("layer"):
            by_k = group.groupby("k")[metric]
            ax.errorbar(
                by_k.mean().index,
                by_k.mean(),
                yerr=by_k.std(),
                marker="o",
                capsize=2,
                label=layer,
                color=LAYER_COLORS.get(layer),
            )
        null = table.groupby("k")[[f"null_{metric}_mean", f"null_{metric}_sd"]].first()
        ax.errorbar(
            null.index,
            null[f"null_{metric}_mean"],
            yerr=null[f"null_{metric}_sd"],
            color="black",
            linestyle="--",
            capsize=2,
            label="random genes",
        )
        ax.set_xscale("log", base=2)
        ax.set_xlabel("top-k genes per node")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    return fig


def supp_genesets(table: pd.DataFrame) -> plt.Figure:
    """Supplementary Figs. 4-5: fraction of nodes whose top light-up genes are enriched in a set of
    each collection (KEGG, Reactome, GO), per layer, against random gene sets of the same size."""
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        rows = table[table["dataset"] == dataset]
        collections = list(dict.fromkeys(rows["collection"]))
        layers = list(dict.fromkeys(rows["layer"]))
        x = np.arange(len(collections))
        width = 0.8 / (len(layers) + 1)
        for i, layer in enumerate(layers):
            fraction = rows[rows["layer"] == layer].set_index("collection")["fraction"]
            ax.bar(
                x + i * width,
                fraction.reindex(collections),
                width,
                label=layer,
                color=LAYER_COLORS.get(layer),
            )
        random = rows.groupby("collection")["random_fraction"].mean().reindex(collections)
        ax.bar(x + len(layers) * width, random, width, label="random genes", color="black")
        ax.set_xticks(x + 0.4 - width / 2, collections, rotation=20, ha="right")
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"nodes with an enriched set (top {rows['k'].iloc[0]} genes)")
        ax.set_title(dataset)
        ax.legend(fontsize=8)
    return fig
