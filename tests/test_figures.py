"""Supplementary table of Fig. 3: layout, skipped diseases, the combined row, and the TSV round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmodules import figures
from deepmodules.enrichment import adjust_and_combine
from deepmodules.errors import InputError

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
