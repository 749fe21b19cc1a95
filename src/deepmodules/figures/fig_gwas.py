"""Fig. 3 and 6: GWAS enrichment of disease modules per disease and layer, and the supplementary table."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from deepmodules.errors import InputError
from deepmodules.stats import ALPHA
from deepmodules.validate.enrichment import adjust_and_combine
from deepmodules.validate.verdict import external_name

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


# A field that the module's table does not have (the matched null of an external series).
NOT_COMPUTED = "not computed for this module"


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


def with_series(
    table: pd.DataFrame | None, series: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A dataset's enrichment table (or None) joined with its disease series, and the combined p.

    ``series`` are the ``gwas_enrichment.tsv`` tables of the external datasets analysed with the
    dataset's autoencoder (model, layer, case, reference, overlap, odds_ratio, p_value, status, ...;
    the naive baseline's module among them), by name; each becomes the disease ``<name>``, or ``<name> vs <reference>`` where it has several
    references. The q-values (Benjamini-Hochberg) and Fisher's combined p per model and layer are taken
    over all the tested modules of the joined table (:func:`~deepmodules.validate.enrichment.adjust_and_combine`).
    """
    rows = [] if table is None else [table]
    for name, own in series.items():
        references = list(own["reference"].unique())
        disease = [external_name(name, reference, references) for reference in own["reference"]]
        rows.append(own.drop(columns=["case", "reference"]).assign(disease=disease))
    return adjust_and_combine(pd.concat(rows, ignore_index=True))


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
            elif pd.isna(row[field]):
                cells[field].append(NOT_COMPUTED)
            elif field in GWAS_COUNT_FIELDS:
                cells[field].append(int(row[field]))
            else:
                cells[field].append(float(row[field]))
    return cells


def gwas_enrichment(
    table: pd.DataFrame, alpha: float = ALPHA, verdict: pd.DataFrame | None = None
) -> plt.Figure:
    """Fig. 3: -log10 P of GWAS enrichment per disease, one bar per model layer.

    Bars are the paper's one-sided Fisher exact P. Where the table has ``empirical_p_value`` a black
    marker on each bar shows the P against random gene sets matched on gene length and local gene
    density (open where ``length_density_bias``: Fisher significant, the matched null not). With the
    ``verdict`` (``verdict.tsv``), a star over a bar marks the module the verdict recommends, and the
    name of a disease whose best deep layer replicates worse than the naive baseline
    (``deep_below_baseline``) is red and marked "deep < naive".
    """
    tested = table[table["status"] == "tested"].copy()
    tested["series"] = tested["model"] + " " + tested["layer"]
    series = [f"{model} {layer}" for model, layer in gwas_series(tested)]
    diseases = list(dict.fromkeys(tested["disease"]))
    matched = "empirical_p_value" in tested.columns
    fig, ax = plt.subplots(figsize=(max(8, 1.4 * len(diseases)), 4))
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
    labels = list(diseases)
    if verdict is not None:
        labels = _mark_verdict(ax, tested, verdict, series, diseases, width)
    ax.set_xticks(np.arange(len(diseases)) + 0.4 - width / 2, labels, rotation=30, ha="right")
    if verdict is not None:
        for tick, disease in zip(ax.get_xticklabels(), diseases, strict=True):
            if _below(verdict, disease):
                tick.set_color(BELOW_COLOR)
    ax.set_ylabel("-log10 P (bars: Fisher exact)")
    ax.set_title("GWAS genes among the top-ranked module genes")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


BELOW_COLOR = "#d62828"


def _below(verdict: pd.DataFrame, disease: str) -> bool:
    flags = verdict.loc[verdict["disease"] == disease, "deep_below_baseline"]
    return bool(flags.astype(str).eq("True").any())


def _mark_verdict(
    ax: plt.Axes,
    tested: pd.DataFrame,
    verdict: pd.DataFrame,
    series: list[str],
    diseases: list[str],
    width: float,
) -> list[str]:
    """Stars over the recommended modules' bars (hollow where the verdict's evidence is weak); the
    tick labels, marked where deep < naive or the evidence is weak."""
    chosen = verdict[verdict["recommended"].astype(str) == "True"]
    weak = set(chosen.loc[chosen["verdict"].str.contains("weak evidence"), "disease"])
    for row in chosen.itertuples():
        name = f"{row.model} {row.layer}"
        if row.disease not in diseases or name not in series:
            continue
        bar = tested[(tested["series"] == name) & (tested["disease"] == row.disease)]
        height = -np.log10(bar["p_value"].clip(lower=1e-300)).max() if len(bar) else 0.0
        x = diseases.index(row.disease) + series.index(name) * width
        ax.scatter(
            [x], [height], marker="*", s=60, zorder=4, clip_on=False, edgecolors="black",
            facecolors="none" if row.disease in weak else "black",
        )  # fmt: skip
    ax.scatter([], [], marker="*", s=60, color="black", label="recommended (held-out replication)")
    if weak:
        ax.scatter(
            [], [], marker="*", s=60, facecolors="none", edgecolors="black",
            label="recommended on few held-out samples (weak evidence)",
        )  # fmt: skip
    return [
        d
        + ("\n(deep < naive)" if _below(verdict, d) else "")
        + ("\n(weak evidence)" if d in weak else "")
        for d in diseases
    ]
