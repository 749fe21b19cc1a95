"""Stages degrade on single-tissue compendia and missing groups: skips are recorded, not raised."""

import numpy as np
import pandas as pd
import pytest

from deepmodules import figures
from deepmodules.clustering import compare_to_genes, live_codes, silhouette_table
from deepmodules.errors import InputError


def tissue_compendium(n_cell_types: int, seed: int = 0):
    """60 samples: two diseases and controls, in ``n_cell_types`` cell types and three studies.

    Gene space and the layer h1 separate the diseases; h1 has two live nodes and one flat node.
    """
    rng = np.random.default_rng(seed)
    disease = np.repeat(["normal", "asthma", "lupus"], 20)
    cell_type = np.array([f"cell{i % n_cell_types}" for i in range(60)])
    study = np.tile(["S1", "S2", "S3"], 20)
    centers = {"normal": 0.0, "asthma": 5.0, "lupus": -5.0}
    shift = np.array([centers[d] for d in disease])[:, None]
    genes = rng.normal(size=(60, 30)) + shift
    h1 = np.column_stack([rng.normal(size=60) + shift[:, 0], rng.normal(size=60), np.full(60, 0.5)])
    samples = pd.DataFrame({"disease": disease, "cell_type": cell_type, "study": study})
    return samples, genes, h1


def groupings(samples):
    everyone = np.ones(len(samples), dtype=bool)
    return {
        "cell_type": ((samples["disease"] == "normal").to_numpy(), samples["cell_type"].to_numpy()),
        "disease": (everyone, samples["disease"].to_numpy()),
        "study": (everyone, samples["study"].to_numpy()),
    }


def activity(flat):
    return pd.DataFrame(
        {"layer": "h1", "node": [f"h1_{j + 1}" for j in range(len(flat))], "flat": flat}
    )


def test_single_cell_type_compendium_skips_cell_types_and_says_so():
    samples, genes, h1 = tissue_compendium(n_cell_types=1)
    table = silhouette_table({"genes": genes, "h1": h1[:, :2]}, groupings(samples), {"h1": 1})
    cells = table[table["group_kind"] == "cell_type"]
    assert len(cells) == 2  # one row per space
    assert (cells["status"] == "skipped: 1 group with ≥2 samples (cell type)").all()
    assert cells["silhouette"].isna().all()
    diseases = table[table["group_kind"] == "disease"]
    assert (diseases["status"] == "tested").all() and len(diseases) == 6
    assert (diseases.loc[diseases["layer"] == "genes", "silhouette"] > 0.5).all()
    assert table.loc[table["layer"] == "h1", "n_flat_nodes"].eq(1).all()

    summary = compare_to_genes(table).set_index(["layer", "group_kind"])
    assert summary.loc[("h1", "cell_type"), "status"].startswith("skipped: 1 group")
    assert np.isnan(summary.loc[("h1", "cell_type"), "p_value"])
    assert summary.loc[("h1", "disease"), "status"] == "tested"
    assert summary.loc[("h1", "disease"), "n_groups"] == 3

    fig = figures.silhouette(table, summary.reset_index())
    notes = " ".join(text.get_text() for text in fig.axes[0].texts)
    assert "cell_type (h1): skipped: 1 group with ≥2 samples (cell type)" in notes
    assert "disease" not in notes


def test_two_cell_types_are_tested_and_draw_no_note():
    samples, genes, h1 = tissue_compendium(n_cell_types=2)
    table = silhouette_table({"genes": genes, "h1": h1[:, :2]}, groupings(samples))
    assert (table["status"] == "tested").all()
    assert set(table.loc[table["group_kind"] == "cell_type", "group"]) == {"cell0", "cell1"}
    summary = compare_to_genes(table)
    assert (summary["status"] == "tested").all()
    assert not figures.silhouette(table, summary).axes[0].texts


def test_flat_nodes_are_left_out_and_a_layer_without_two_live_nodes_is_skipped():
    samples, genes, h1 = tissue_compendium(n_cell_types=2)
    live = live_codes(h1, activity([False, False, True]), "h1", "node_activity.tsv")
    np.testing.assert_array_equal(live, h1[:, :2])
    one = live_codes(h1, activity([False, True, True]), "h1", "node_activity.tsv")
    table = silhouette_table({"genes": genes, "h1": one}, groupings(samples), {"h1": 2})
    h1_rows = table[table["layer"] == "h1"]
    assert len(h1_rows) == 3
    assert (h1_rows["status"] == "skipped: 1 live node in h1 (a 2-PC projection needs 2)").all()
    assert (table.loc[table["layer"] == "genes", "status"] == "tested").all()
    with pytest.raises(InputError, match="lists 2 nodes of h1, the model has 3"):
        live_codes(h1, activity([False, True]), "h1", "node_activity.tsv")
