"""Supplementary table of Fig. 3: layout, skipped diseases, the combined row, and the TSV round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmodules import figures
from deepmodules.errors import InputError
from deepmodules.validate.enrichment import adjust_and_combine

# Deliberately not in the figure's order: the table must sort them.
PAIRS = [
    ("naive128", "h1"),
    ("deep128", "h2"),
    ("shallow128", "h1"),
    ("deep128", "h3"),
    ("deep128", "h1"),
]
ORDER = [
    ("deep128", "h1"),
    ("deep128", "h2"),
    ("deep128", "h3"),
    ("shallow128", "h1"),
    ("naive128", "h1"),
]
DISEASES = ["asthma", "obesity", "sham_disease"]
SKIPPED = "skipped: 2 GWAS genes in the universe"


def enrichment_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A long enrichment table (obesity skipped) and its combined table, as rule gwas_enrichment writes."""
    rng = np.random.default_rng(3)
    rows = []
    for model, layer in PAIRS:
        for disease in DISEASES:
            row = {"disease": disease, "model": model, "layer": layer}
            if disease == "obesity":
                row |= {
                    "overlap": np.nan,
                    "odds_ratio": np.nan,
                    "p_value": np.nan,
                    "status": SKIPPED,
                }
            else:
                row |= {
                    "overlap": float(rng.integers(0, 30)),
                    "odds_ratio": float(rng.uniform(0.5, 30)),
                    "p_value": float(10.0 ** -rng.uniform(0, 20)),
                    "status": "tested",
                }
            rows.append(row)
    return adjust_and_combine(pd.DataFrame(rows))


def test_columns_follow_the_figure_order():
    table, combined = enrichment_tables()
    wide = figures.gwas_table(table, combined)
    fields = ["overlap", "odds_ratio", "p_value", "q_value"]
    expected = ["disease"] + [f"{m} {layer} {f}" for m, layer in ORDER for f in fields]
    assert list(wide.columns) == expected
    assert figures.gwas_series(table) == ORDER
    assert list(wide["disease"]) == [*DISEASES, "Fisher combined"]


def test_tested_cells_hold_the_enrichment_values():
    table, combined = enrichment_tables()
    wide = figures.gwas_table(table, combined).set_index("disease")
    for row in table[table["status"] == "tested"].itertuples():
        prefix = f"{row.model} {row.layer}"
        cells = wide.loc[row.disease]
        assert cells[f"{prefix} overlap"] == int(row.overlap)
        assert cells[f"{prefix} odds_ratio"] == row.odds_ratio
        assert cells[f"{prefix} p_value"] == row.p_value
        assert cells[f"{prefix} q_value"] == row.q_value


def test_skipped_disease_shows_its_status_in_every_cell():
    table, combined = enrichment_tables()
    wide = figures.gwas_table(table, combined).set_index("disease")
    assert (wide.loc["obesity"] == SKIPPED).all()
    assert not (wide.drop(index="obesity") == SKIPPED).any(axis=None)


def test_combined_row_equals_the_combined_table():
    table, combined = enrichment_tables()
    wide = figures.gwas_table(table, combined).set_index("disease")
    last = wide.loc["Fisher combined"]
    for row in combined.itertuples():
        prefix = f"{row.model} {row.layer}"
        assert last[f"{prefix} p_value"] == row.combined_p_value
        for field in ("overlap", "odds_ratio", "q_value"):
            assert last[f"{prefix} {field}"] == "not applicable"


def test_layer_without_tested_disease_says_so():
    table, _ = enrichment_tables()
    naive = table["model"] == "naive128"
    table.loc[naive, "status"] = SKIPPED
    table.loc[naive, ["overlap", "odds_ratio", "p_value", "q_value"]] = np.nan
    table, written = adjust_and_combine(table)
    assert written.set_index("model").loc["naive128", "n_diseases"] == 0
    # As rule gwas_enrichment writes it (n_diseases 0, no p-value), or with the layer left out.
    for combined in (written, written[written["model"] != "naive128"]):
        wide = figures.gwas_table(table, combined).set_index("disease")
        assert (wide.loc[DISEASES, "naive128 h1 p_value"] == SKIPPED).all()
        assert wide.loc["Fisher combined", "naive128 h1 p_value"] == "no disease tested"


def test_tsv_round_trips_p_values_and_has_no_empty_cell(tmp_path):
    table, combined = enrichment_tables()
    path = tmp_path / "fig3_gwas_enrichment_table.tsv"
    figures.gwas_table(table, combined).to_csv(path, sep="\t", index=False, na_rep="NaN")
    text = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False).set_index("disease")
    assert not (text == "").any(axis=None)
    for row in table[table["status"] == "tested"].itertuples():
        prefix = f"{row.model} {row.layer}"
        assert float(text.loc[row.disease, f"{prefix} p_value"]) == row.p_value
        assert float(text.loc[row.disease, f"{prefix} q_value"]) == row.q_value
        assert int(text.loc[row.disease, f"{prefix} overlap"]) == int(row.overlap)
    for row in combined.itertuples():
        value = text.loc["Fisher combined", f"{row.model} {row.layer} p_value"]
        assert float(value) == row.combined_p_value


def test_combined_table_from_another_run_is_rejected():
    table, combined = enrichment_tables()
    combined.loc[0, "n_diseases"] += 1
    with pytest.raises(InputError, match="combines 3 diseases but 2 were tested"):
        figures.gwas_table(table, combined)


def test_combined_layer_unknown_to_the_enrichment_table_is_rejected():
    table, combined = enrichment_tables()
    extra = pd.DataFrame(
        [{"model": "deep64", "layer": "h1", "n_diseases": 2, "combined_p_value": 0.01}]
    )
    with pytest.raises(InputError, match="deep64 h1 is not in the enrichment table"):
        figures.gwas_table(table, pd.concat([combined, extra]))


def test_duplicate_enrichment_rows_are_rejected():
    table, combined = enrichment_tables()
    with pytest.raises(InputError, match="appears more than once"):
        figures.gwas_table(pd.concat([table, table.iloc[[0]]]), combined)


def with_matched_null(table: pd.DataFrame, mapping: str, seed: int) -> pd.DataFrame:
    """The enrichment table with the matched-null columns of rule gwas_enrichment for ``mapping``."""
    rng = np.random.default_rng(seed)
    tested = table["status"] == "tested"
    table = table.assign(mapping=mapping, n_loci=np.nan, empirical_p_value=np.nan)
    table["null_median_odds_ratio"] = np.nan
    table.loc[tested, "n_loci"] = table.loc[tested, "overlap"]
    table.loc[tested, "empirical_p_value"] = rng.uniform(0.001, 1, tested.sum())
    table.loc[tested, "null_median_odds_ratio"] = rng.uniform(0.5, 3, tested.sum())
    table["length_density_bias"] = tested & (table["p_value"] < 0.05)
    table["length_density_bias"] &= table["empirical_p_value"] >= 0.05
    return table


def test_matched_null_and_other_mapping_columns_follow_each_layer():
    table, combined = enrichment_tables()
    closest = with_matched_null(table, "closest", 1)
    window = with_matched_null(table.assign(p_value=table["p_value"] * 0.5), "window", 2)
    wide = figures.gwas_table(closest, combined, pd.concat([closest, window]))
    fields = ["overlap", "odds_ratio", "p_value", "q_value", "n_loci", "null_median_odds_ratio"]
    fields += ["empirical_p_value", "window overlap", "window p_value", "window empirical_p_value"]
    assert list(wide.columns) == ["disease"] + [f"{m} {x} {f}" for m, x in ORDER for f in fields]
    wide = wide.set_index("disease")
    for row in window[window["status"] == "tested"].itertuples():
        assert wide.loc[row.disease, f"{row.model} {row.layer} window p_value"] == row.p_value
    for row in closest[closest["status"] == "tested"].itertuples():
        cells = wide.loc[row.disease]
        assert cells[f"{row.model} {row.layer} empirical_p_value"] == row.empirical_p_value
        assert cells[f"{row.model} {row.layer} n_loci"] == int(row.n_loci)
    assert (wide.loc["obesity"] == SKIPPED).all()
    assert (wide.loc["Fisher combined", "deep128 h1 window p_value"]) == "not applicable"


def test_figure_marks_the_matched_null_on_each_bar():
    table, _ = enrichment_tables()
    plain = figures.gwas_enrichment(table)
    matched = figures.gwas_enrichment(with_matched_null(table, "closest", 1))
    n_bars = len(ORDER) * 2  # two tested diseases
    assert len(plain.axes[0].patches) == len(matched.axes[0].patches) == n_bars
    markers = sum(len(c.get_offsets()) for c in matched.axes[0].collections)
    assert markers == n_bars and not plain.axes[0].collections
    labels = [text.get_text() for text in matched.axes[0].get_legend().get_texts()]
    assert "matched null (empirical P)" in labels


def test_saved_figure_holds_long_rotated_labels_and_the_legend(tmp_path):
    """A disease name longer than its bar group and the legend beside the axes are inside the saved
    image: its outermost pixel rows and columns are background, nothing drawn is cut at the edge."""
    from matplotlib.image import imread

    table, _ = enrichment_tables()
    long_name = "multiple_sclerosis vs other neurological disease"
    table["disease"] = table["disease"].replace("asthma", long_name)
    figures.save(figures.gwas_enrichment(table), tmp_path / "f.pdf", tmp_path / "f.png")
    pixels = imread(tmp_path / "f.png")[..., :3]
    edges = [pixels[:, 0], pixels[:, -1], pixels[0], pixels[-1]]
    assert all((edge > 0.99).all() for edge in edges)
