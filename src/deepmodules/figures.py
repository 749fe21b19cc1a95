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
# Matched-null columns that follow them where the enrichment table has them.
GWAS_NULL_FIELDS = ("n_loci", "null_median_odds_ratio", "empirical_p_value")
# Columns per model and layer of each other SNP-to-gene mapping (the mapping sensitivity).
GWAS_MAPPING_FIELDS = ("overlap", "p_value", "empirical_p_value")
GWAS_COUNT_FIELDS = ("overlap", "n_loci")
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


def gwas_table(
    table: pd.DataFrame, combined: pd.DataFrame, sensitivity: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Supplementary table of Fig. 3 (Fig. 6 for RNA-seq): GWAS enrichment of every disease module.

    ``table`` is the long enrichment table (disease, model, layer, overlap, odds_ratio, p_value,
    q_value, status, ...) and ``combined`` Fisher's combined p per layer (model, layer, n_diseases,
    combined_p_value). The result has one row per disease, in the order of ``table``, and a last row
    ``Fisher combined``. After the ``disease`` column come the columns of each model and layer, in the
    order of the figure (:func:`gwas_series`), named ``"<model> <layer> <field>"`` for the fields
    overlap, odds_ratio, p_value (one-sided Fisher exact) and q_value (Benjamini-Hochberg), then, where
    ``table`` has them, n_loci, null_median_odds_ratio and empirical_p_value (the matched null). With
    ``sensitivity`` (the enrichment under every mapping, with a ``mapping`` column) each mapping other
    than ``table``'s adds ``"<model> <layer> <mapping> <field>"`` for overlap, p_value and
    empirical_p_value, so that the effect of the SNP-to-gene mapping is visible. A module whose status
    is not ``tested`` shows its status text in all its cells. The combined row holds the combined p in
    the p_value cell and ``not applicable`` in the others, or ``no disease tested`` as p where no
    disease of that layer was tested. No cell is left empty.
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
    fields = [*GWAS_TABLE_FIELDS, *(f for f in GWAS_NULL_FIELDS if f in table.columns)]
    alternatives = _other_mappings(table, sensitivity)
    rows = table.set_index(keys)
    diseases = list(dict.fromkeys(table["disease"]))
    wide: dict[str, list[object]] = {"disease": [*diseases, GWAS_COMBINED_ROW]}
    for model, layer in series:
        cells = _gwas_cells(rows, diseases, model, layer, fields)
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
        for field in fields:
            cells[field].append(p_value if field == "p_value" else NOT_APPLICABLE)
            wide[f"{model} {layer} {field}"] = cells[field]
        for mapping, other in alternatives.items():
            cells = _gwas_cells(other, diseases, model, layer, GWAS_MAPPING_FIELDS)
            for field in GWAS_MAPPING_FIELDS:
                wide[f"{model} {layer} {mapping} {field}"] = [*cells[field], NOT_APPLICABLE]
    return pd.DataFrame(wide, dtype=object)


def _other_mappings(
    table: pd.DataFrame, sensitivity: pd.DataFrame | None
) -> dict[str, pd.DataFrame]:
    """The enrichment rows of each mapping in ``sensitivity`` but not in ``table``, indexed by
    disease, model and layer."""
    if sensitivity is None:
        return {}
    needed = {"disease", "model", "layer", "mapping", "status", *GWAS_MAPPING_FIELDS}
    if missing := needed - set(sensitivity.columns):
        raise InputError(
            "GWAS mapping sensitivity table",
            f"columns {sorted(missing)} are missing",
            "pass the gwas_mapping_sensitivity.tsv written by rule gwas_enrichment",
        )
    own = set(table["mapping"]) if "mapping" in table.columns else set()
    return {
        mapping: rows.set_index(["disease", "model", "layer"])
        for mapping, rows in sensitivity.groupby("mapping", sort=False)
        if mapping not in own
    }


def _gwas_cells(
    rows: pd.DataFrame, diseases: list[str], model: str, layer: str, fields: list[str] | tuple
) -> dict[str, list[object]]:
    """Cells of one model and layer per disease: the value, the status when not tested, or a note
    when the disease is missing."""
    cells: dict[str, list[object]] = {field: [] for field in fields}
    for disease in diseases:
        row = rows.loc[(disease, model, layer)] if (disease, model, layer) in rows.index else None
        for field in fields:
            if row is None:
                cells[field].append("missing from the enrichment table")
            elif row["status"] != "tested":
                cells[field].append(row["status"])
            elif field in GWAS_COUNT_FIELDS:
                cells[field].append(int(row[field]))
            else:
                cells[field].append(float(row[field]))
    return cells


def gwas_enrichment(table: pd.DataFrame, alpha: float = 0.05) -> plt.Figure:
    """Fig. 3: -log10 P of GWAS enrichment per disease, one bar per model layer.

    Bars are the paper's one-sided Fisher exact P. Where the table has ``empirical_p_value`` a black
    marker on each bar shows the P against random gene sets matched on gene length and local gene
    density (open where ``length_density_bias``: Fisher significant, the matched null not).
    """
    tested = table[table["status"] == "tested"].copy()
    tested["series"] = tested["model"] + " " + tested["layer"]
    series = [f"{model} {layer}" for model, layer in gwas_series(tested)]
    diseases = list(dict.fromkeys(tested["disease"]))
    matched = "empirical_p_value" in tested.columns
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(diseases)), 4))
    width = 0.8 / max(len(series), 1)
    for i, name in enumerate(series):
        rows = tested[tested["series"] == name].set_index("disease").reindex(diseases)
        x = np.arange(len(diseases)) + i * width
        ax.bar(x, -np.log10(rows["p_value"].clip(lower=1e-300)), width, label=name)
        if matched:
            heights = -np.log10(rows["empirical_p_value"].to_numpy(dtype=float))
            flags = rows.get("length_density_bias", pd.Series(False, index=rows.index))
            biased = flags.astype(str).eq("True").to_numpy()
            for fill, where in (("black", ~biased), ("none", biased)):
                ax.scatter(
                    x[where], heights[where], marker="D", s=14, zorder=3,
                    facecolors=fill, edgecolors="black", linewidths=0.8,
                )  # fmt: skip
    if matched:
        ax.scatter([], [], marker="D", s=14, color="black", label="matched null (empirical P)")
        ax.scatter(
            [], [], marker="D", s=14, facecolors="none", edgecolors="black",
            label="matched null not significant (length/density bias)",
        )  # fmt: skip
    ax.axhline(-np.log10(alpha), color="black", linestyle="--", linewidth=0.8)
    ax.set_xticks(np.arange(len(diseases)) + 0.4 - width / 2, diseases, rotation=30, ha="right")
    ax.set_ylabel("-log10 P (bars: Fisher exact)")
    ax.set_title("GWAS genes among the top-ranked module genes")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def silhouette(table: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """Fig. 4: a, -log10 binomial P per layer and group kind; b, silhouette per group, layer vs genes.

    Groupings skipped in the tables (``status`` other than ``tested``: one cell type, one study, a
    layer without two live nodes) have no bar and no points; panel a writes the reason in the empty slot.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    kinds = list(dict.fromkeys(summary["group_kind"]))
    layers = [layer for layer in dict.fromkeys(summary["layer"]) if layer != "genes"]
    width = 0.8 / max(len(layers), 1)
    summary_status = summary.get("status", pd.Series("tested", index=summary.index))
    for i, layer in enumerate(layers):
        rows = summary[summary["layer"] == layer].assign(status=summary_status)
        rows = rows.set_index("group_kind")
        heights = [-np.log10(max(rows["p_value"].get(k, np.nan), 1e-300)) for k in kinds]
        x = np.arange(len(kinds)) + i * width
        axes[0].bar(x, heights, width, label=layer, color=LAYER_COLORS.get(layer))
        for position, kind in zip(x, kinds, strict=True):
            why = rows["status"].get(kind, "tested")
            if why != "tested":  # the empty bar's slot says why
                axes[0].text(
                    position,
                    0.02,
                    why,
                    transform=axes[0].get_xaxis_transform(),
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    color="#9d0208",
                )
    axes[0].set_xlim(-width, len(kinds) - 1 + 0.8)
    axes[0].set_xticks(np.arange(len(kinds)) + 0.4 - width / 2, kinds)
    axes[0].set_ylabel("-log10 P (binomial, layer beats gene PCA)")
    axes[0].set_title("a  layers against gene-space PCA")
    axes[0].legend(fontsize=8)
    status = table.get("status", pd.Series("tested", index=table.index))
    tested = table[status == "tested"]
    genes = tested[tested["layer"] == "genes"].set_index(["group_kind", "group"])["silhouette"]
    for layer in layers:
        rows = tested[tested["layer"] == layer].set_index(["group_kind", "group"])["silhouette"]
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


def _layer_note(rows: pd.DataFrame) -> str:
    """One layer's line of Fig. 5: live and flat nodes, light-up diversity, permutation p by k."""
    first = rows.iloc[0]
    note = f"{first['layer']}: {int(first['n_nodes'])} live, {int(first['n_flat'])} flat nodes"
    if first["status"] != "tested":
        return f"{note}: {first['status']}, not tested"
    note += (
        f"; {int(first['n_distinct_sets'])} distinct top-{int(first['lightup_k'])} gene sets,"
        f" Jaccard {first['mean_jaccard']:.2f}"
    )
    tested = rows.dropna(subset=["permutation_p_value"])
    p_values = ", ".join(
        f"k={int(k)}: {p:.2g}"
        for k, p in zip(tested["k"], tested["permutation_p_value"], strict=True)
    )
    return f"{note}; permutation p {p_values or 'not computed'}"


def ppi_colocalization(
    table: pd.DataFrame, summary: pd.DataFrame, alpha: float = 0.05
) -> plt.Figure:
    """Fig. 5: mean betweenness and harmonic distance of top-k light-up genes per layer, with the null.

    Live nodes only. The layer test is the permutation test (``permutation_p_value`` of
    ppi_summary.tsv): cutoffs where a layer's gene sets are closer than random at ``alpha`` are
    starred; the notes below give each layer's live and flat nodes, how distinct its nodes' top
    light-up genes are, and the permutation p by k. Layers without live nodes are named there.
    """
    notes = [_layer_note(rows) for _, rows in summary.groupby("layer", sort=True)]
    lines = 0.2 * len(notes) + 0.2
    fig, grid = plt.subplot_mosaic(
        [["betweenness", "distance"], ["notes", "notes"]],
        figsize=(11, 4 + lines),
        height_ratios=[4, lines],
    )
    axes = [grid["betweenness"], grid["distance"]]
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
            if metric == "harmonic_distance":
                rows = summary[summary["layer"] == layer]
                closer = rows.loc[rows["permutation_p_value"] < alpha, "k"].astype(int)
                ax.scatter(
                    closer,
                    by_k.mean().reindex(closer),
                    marker="*",
                    s=120,
                    color=LAYER_COLORS.get(layer),
                    zorder=3,
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
    axes[1].set_title(f"* layer closer than random, permutation p < {alpha}", fontsize=8)
    grid["notes"].axis("off")
    grid["notes"].text(0, 0.5, "\n".join(notes), fontsize=7, va="center", ha="left")
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


def truth_recovery(table: pd.DataFrame) -> plt.Figure:
    """Supplementary: recovery of the planted disease genes on a simulated compendium (deepmodules.truth).

    Per dataset (columns), the AUROC and the precision at the number of planted genes (rows) of every
    model and layer in the order of Fig. 3 (deep layers in their layer colours, the shallow model yellow,
    the naive baseline grey), one dot per disease and a bar at their mean; dashed lines at
    chance (AUROC 0.5; precision n/N, the share of planted genes). Red dots are rows the scorecard
    notes as not above chance or below the naive baseline.
    """
    tested = table[table["n_planted"] > 0]
    datasets = list(dict.fromkeys(tested["dataset"]))
    fig, axes = plt.subplots(2, len(datasets), figsize=(6 * len(datasets), 7), squeeze=False)
    measures = (("auroc", "AUROC"), ("precision_at_n_planted", "precision at n planted"))
    for column, dataset in enumerate(datasets):
        rows = tested[tested["dataset"] == dataset]
        series = gwas_series(rows)
        for ax, (measure, label) in zip(axes[:, column], measures, strict=True):
            for x, (model, layer) in enumerate(series):
                values = rows[(rows["model"] == model) & (rows["layer"] == layer)]
                color = LAYER_COLORS.get(layer) if model.startswith("deep") else None
                if model.startswith("naive"):
                    color = LAYER_COLORS["genes"]
                ax.bar(x, values[measure].mean(), 0.7, color=color or "#e9c46a")
                failed = values["note"] != "recovered"
                jitter = np.linspace(-0.2, 0.2, len(values))
                ax.scatter(
                    x + jitter,
                    values[measure],
                    s=14,
                    color=np.where(failed, "#d62828", "black"),
                    zorder=3,
                )
            chance = 0.5 if measure == "auroc" else (rows["n_planted"] / rows["n_genes"]).mean()
            ax.axhline(chance, color="black", linestyle="--", linewidth=0.8)
            ax.set_xticks(range(len(series)), [f"{m} {la}" for m, la in series], rotation=30)
            ax.set_ylim(0, 1.02)
            ax.set_ylabel(label)
        axes[0, column].set_title(f"{dataset}: planted disease genes recovered")
    return fig
