"""Stages degrade on single-tissue compendia and missing groups: skips are recorded, not raised."""

import runpy
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest
from snakemake.iocontainers import Namedlist

from deepmodules import figures, layout
from deepmodules.data import annotation
from deepmodules.errors import InputError
from deepmodules.interpret.clustering import compare_to_genes, live_codes, silhouette_table
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, dense_layers
from deepmodules.model.network import save_layers
from deepmodules.modules.reverse_training import (
    disease_reference,
    disease_scores,
    gene_scores,
    module_top_genes,
    phenotype_labels,
)
from tests.conftest import ROOT


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

    summary = compare_to_genes(table, margin=0.1, p0=0.5).set_index(["layer", "group_kind"])
    assert summary.loc[("h1", "cell_type"), "status"].startswith("skipped: 1 group")
    assert np.isnan(summary.loc[("h1", "cell_type"), "p_value"])
    assert summary.loc[("h1", "disease"), "status"] == "tested"
    assert summary.loc[("h1", "disease"), "n_groups"] == 3

    fig = figures.silhouette(table, summary.reset_index())
    notes = [text.get_text() for text in fig.axes[0].texts]
    assert notes == ["skipped: 1 group with ≥2 samples (cell type)"]
    # written in the empty slot of h1's cell-type bar, at the first tick
    assert fig.axes[0].texts[0].get_position()[0] == pytest.approx(0.0)


def test_two_cell_types_are_tested_and_draw_no_note():
    samples, genes, h1 = tissue_compendium(n_cell_types=2)
    table = silhouette_table({"genes": genes, "h1": h1[:, :2]}, groupings(samples))
    assert (table["status"] == "tested").all()
    assert set(table.loc[table["group_kind"] == "cell_type", "group"]) == {"cell0", "cell1"}
    summary = compare_to_genes(table, margin=0.1, p0=0.5)
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


# Diseases without matched controls, without any controls, with too few cases.

SETTINGS = {
    "seeds": [1],
    "epochs": 2,
    "batch_size": 16,
    "learning_rate": 0.01,
    "tolerance": 0.001,
    "max_steps": 20000,
    "score": "contrast",
    "naive_fit": "means",
}
DISEASES = {
    "asthma": {"label": "asthma", "gwas_terms": ["asthma"]},
    "lupus": {"label": "lupus", "gwas_terms": ["lupus"]},
    "rare": {"label": "rare disease", "gwas_terms": ["rare"]},
}


def annotated_samples(controls: bool) -> pd.DataFrame:
    """Asthma in airway (with airway controls), lupus in kidney (no kidney controls), 2 rare cases."""
    disease = ["asthma"] * 12 + ["lupus"] * 12 + ["rare disease"] * 2
    cell_type = ["airway"] * 12 + ["kidney"] * 12 + ["airway"] * 2
    if controls:
        disease += ["normal"] * 16
        cell_type += ["airway"] * 8 + ["liver"] * 8
    return pd.DataFrame(
        {"disease": disease, "cell_type": cell_type, "study": "S1"}, index=range(len(disease))
    )


def test_check_diseases_skips_too_few_cases_and_stops_on_absent_labels():
    samples = annotated_samples(controls=True)
    skipped = annotation.check_diseases(samples, DISEASES, min_cases=10, where="samples.tsv")
    assert skipped == {"rare": "2 cases, fewer than min_cases = 10"}
    assert annotation.check_diseases(samples, DISEASES, min_cases=2, where="samples.tsv") == {}
    misspelt = {"asthma": {"label": "Asthma", "gwas_terms": ["asthma"]}}
    with pytest.raises(InputError, match="set diseases.asthma.label to 'asthma'"):
        annotation.check_diseases(samples, misspelt, min_cases=10, where="samples.tsv")
    absent = {"gout": {"label": "gout", "gwas_terms": ["gout"]}}
    with pytest.raises(InputError, match=r"'gout' \(label 'gout'\) has no samples; labels here"):
        annotation.check_diseases(samples, absent, 10, "samples.tsv")


def test_reference_is_matched_else_all_controls_else_a_skip():
    samples = annotated_samples(controls=True)
    labels = phenotype_labels(samples, "normal")
    matched = disease_reference(samples, labels, "asthma", "normal", "contrast")
    assert (matched.name, matched.phenotypes, matched.skipped) == (
        "normal (airway)",
        ["normal (airway)"],
        None,
    )
    fallback = disease_reference(samples, labels, "lupus", "normal", "contrast")
    assert (fallback.name, fallback.phenotypes) == (
        "all controls",
        ["normal (airway)", "normal (liver)"],
    )
    assert disease_reference(samples, labels, "lupus", "normal", "paper").phenotypes == []
    none = annotated_samples(controls=False)
    skip = disease_reference(none, phenotype_labels(none, "normal"), "lupus", "normal", "contrast")
    assert skip.phenotypes == [] and "no control samples ('normal')" in skip.skipped


def test_all_controls_reference_is_the_mean_of_the_control_phenotypes():
    z = np.array([[4.0, 1.0], [1.0, 1.0], [3.0, 5.0]])
    phenotypes = ["lupus", "normal (airway)", "normal (liver)"]
    scores = gene_scores(z, phenotypes, "lupus", ["normal (airway)", "normal (liver)"], "contrast")
    np.testing.assert_allclose(scores, [2.0, 2.0])
    np.testing.assert_allclose(
        gene_scores(z, phenotypes, "lupus", "normal (liver)", "contrast"), [1, 4]
    )


def expression(samples, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((len(samples), 20)).astype(np.float32)


def score_modules(samples, tmp_path):
    """Naive-baseline modules of the three diseases, written as the reverse_training rule does."""
    genes = [f"G{i}" for i in range(20)]
    diseases = {d: spec["label"] for d, spec in DISEASES.items()}
    skipped = annotation.check_diseases(samples, DISEASES, 10, "samples.tsv")
    tables = disease_scores(
        expression(samples), samples, genes, diseases, "normal", SETTINGS, hidden=4, skipped=skipped
    )
    tmp_path.mkdir(parents=True, exist_ok=True)
    paths = []
    for disease_id, table in tables.items():
        paths.append(tmp_path / f"{disease_id}.tsv")
        table.to_csv(paths[-1], sep="\t", index=False, float_format="%.6g")
    return tables, paths, genes


def test_fallback_and_skips_are_recorded_in_the_module_tables(tmp_path):
    tables, paths, genes = score_modules(annotated_samples(controls=True), tmp_path)
    assert tables["asthma"]["reference"].eq("normal (airway)").all()
    assert tables["lupus"]["reference"].eq("all controls").all()
    assert tables["asthma"]["status"].eq("scored").all() and len(tables["asthma"]) == 20
    assert tables["rare"]["status"].tolist() == ["skipped: 2 cases, fewer than min_cases = 10"]
    module = pd.read_csv(paths[2], sep="\t", keep_default_na=False)
    assert module_top_genes(module, 5) == ([], "skipped: 2 cases, fewer than min_cases = 10")
    top, status = module_top_genes(pd.read_csv(paths[0], sep="\t", keep_default_na=False), 5)
    assert status == "scored" and top == tables["asthma"]["gene"][:5].tolist()


def run_script(name, smk):
    runpy.run_path(str(ROOT / "workflow" / "scripts" / name), init_globals={"snakemake": smk})


def test_skipped_modules_reach_enrichment_as_nan_rows_and_are_left_out_of_the_gmt(tmp_path):
    _, controlled, genes = score_modules(
        annotated_samples(controls=True), tmp_path / "naive4" / "controls"
    )
    _, uncontrolled, _ = score_modules(
        annotated_samples(controls=False), tmp_path / "naive4" / "no_controls"
    )
    pd.DataFrame({"gene": genes}).to_csv(tmp_path / "genes.tsv", sep="\t", index=False)
    gwas = pd.DataFrame({"disease": ["asthma"] * 4 + ["lupus"] * 4, "gene": genes[:4] + genes[4:8]})
    gwas = pd.concat([gwas.assign(mapping=mapping) for mapping in ("closest", "window")])
    gwas.assign(locus=gwas["gene"]).to_csv(tmp_path / "gwas.tsv", sep="\t", index=False)
    features = pd.DataFrame({"gene": genes, "length": 1000, "neighbours": 1})
    features.to_csv(tmp_path / "features.tsv", sep="\t", index=False)
    # the modules as named inputs, as the rule passes them (deepmodules.layout.module_inputs)
    modules = {
        layout.module_key("naive4", path.parent.name, path.stem): str(path)
        for path in controlled + uncontrolled
    }
    reconstruction = pd.DataFrame({"model": ["deep4"], "reconstruction_ok": [True]})
    reconstruction.to_csv(tmp_path / "reconstruction.tsv", sep="\t", index=False)
    columns = ["disease", "model", "layer", "encodability_r", "encodable"]
    pd.DataFrame(columns=columns).to_csv(tmp_path / "encodability.tsv", sep="\t", index=False)
    smk = SimpleNamespace(
        rule="gwas_enrichment",
        log=[str(tmp_path / "gwas.log")],
        threads=1,
        input=Namedlist(
            fromdict={
                **modules,
                "gwas": str(tmp_path / "gwas.tsv"),
                "features": str(tmp_path / "features.tsv"),
                "genes": str(tmp_path / "genes.tsv"),
                "encodability": str(tmp_path / "encodability.tsv"),
                "reconstruction": str(tmp_path / "reconstruction.tsv"),
            }
        ),
        output=SimpleNamespace(
            table=str(tmp_path / "table.tsv"),
            combined=str(tmp_path / "combined.tsv"),
            sensitivity=str(tmp_path / "sensitivity.tsv"),
        ),
        params=SimpleNamespace(
            size=5,
            gwas={
                "mapping": "closest",
                "min_gwas_genes": 2,
                "null_draws": 100,
                "null_stratum_genes": 5,
                "null_density_bins": 1,
            },
            seed=1,
        ),
    )
    run_script("gwas_enrichment.py", smk)
    table = pd.read_csv(tmp_path / "table.tsv", sep="\t").set_index(["layer", "disease"])
    assert table.loc[("controls", "asthma"), "status"] == "tested"
    assert table.loc[("controls", "lupus"), "status"] == "tested"
    assert 0 < table.loc[("controls", "asthma"), "p_value"] <= 1
    for key, reason in [
        (("controls", "rare"), "2 cases, fewer than min_cases = 10"),
        (("no_controls", "asthma"), "no control samples ('normal') in the compendium"),
        (("no_controls", "lupus"), "no control samples ('normal') in the compendium"),
    ]:
        assert table.loc[key, "status"].startswith(f"skipped: {reason}")
        assert np.isnan(table.loc[key, "p_value"]) and np.isnan(table.loc[key, "q_value"])
    combined = pd.read_csv(tmp_path / "combined.tsv", sep="\t").set_index("layer")
    assert combined.loc["controls", "n_diseases"] == 2
    assert combined.loc["no_controls", "n_diseases"] == 0

    verdict = tmp_path / "verdict.tsv"  # no module recommended: no consensus line
    pd.DataFrame(columns=["disease", "model", "layer", "recommended", "verdict"]).to_csv(
        verdict, sep="\t", index=False
    )
    gmt = SimpleNamespace(
        rule="modules_gmt",
        input=Namedlist(fromdict={**modules, "verdict": str(verdict)}),
        log=[str(tmp_path / "gmt.log")],
        threads=1,
        output=[str(tmp_path / "modules.gmt")],
        params=SimpleNamespace(size=5),
    )
    run_script("modules_gmt.py", gmt)
    names = [line.split("\t")[0] for line in (tmp_path / "modules.gmt").read_text().splitlines()]
    assert names == ["asthma__naive4__controls", "lupus__naive4__controls"]


def write_compendium(folder, samples, n_genes=20):
    """A compendium folder as ``compendium.prepare`` writes it, with random values."""
    folder.mkdir(parents=True)
    genes = [f"G{i}" for i in range(n_genes)]
    np.save(folder / "expression.npy", expression(samples)[:, :n_genes])
    pd.DataFrame({"gene": genes, "minimum": 0.0, "maximum": 1.0}).to_csv(
        folder / "genes.tsv", sep="\t", index=False
    )
    table = samples.assign(sample=[f"X{i}" for i in range(len(samples))], split="train")
    table[["sample", "cell_type", "disease", "study", "split"]].to_csv(
        folder / "samples.tsv", sep="\t", index=False
    )
    (folder / "scale.json").write_text('{"values": "log"}\n')
    return genes


def blood_studies(studies):
    """One cell type (blood), no healthy study: each disease study holds 12 cases and 6 controls."""
    rows = []
    for study, disease in studies.items():
        rows += [(disease, study)] * 12 + [("normal", study)] * 6
    rows += [("rare disease", "S9")] * 2
    disease, study = zip(*rows, strict=True)
    return pd.DataFrame({"disease": disease, "cell_type": "blood", "study": study})


def run_controls_analysis(tmp_path, samples, diseases):
    """The controls_analysis rule script on a compendium of ``samples`` and an untrained deep8."""
    genes = write_compendium(tmp_path / "normalized", samples)
    keras.utils.set_random_seed(1)
    model = build_autoencoder(len(genes), parse_model_id("deep8"))
    save_layers(tmp_path / "network.npz", dense_layers(model))
    gwas = pd.DataFrame({"disease": ["asthma"] * 5 + ["lupus"] * 5, "gene": genes[:10]})
    gwas.to_csv(tmp_path / "gwas.tsv", sep="\t", index=False)
    smk = SimpleNamespace(
        rule="controls_analysis",
        log=[str(tmp_path / "controls.log")],
        threads=1,
        input=SimpleNamespace(
            expression=str(tmp_path / "normalized" / "expression.npy"),
            samples=str(tmp_path / "normalized" / "samples.tsv"),
            network=str(tmp_path / "network.npz"),
            gwas=str(tmp_path / "gwas.tsv"),
        ),
        output=SimpleNamespace(
            table=str(tmp_path / "controls.tsv"), summary=str(tmp_path / "summary.tsv")
        ),
        params=SimpleNamespace(
            layer="h3",
            diseases={d: DISEASES[d] for d in diseases},
            settings=SETTINGS,
            control_label="normal",
            size=5,
            min_gwas_genes=2,
            min_cases=10,
        ),
    )
    run_script("controls_analysis.py", smk)
    table = pd.read_csv(tmp_path / "controls.tsv", sep="\t", keep_default_na=False)
    return table.set_index("disease"), pd.read_csv(tmp_path / "summary.tsv", sep="\t")


def test_controls_analysis_without_healthy_studies_contrasts_with_the_other_studies(tmp_path):
    table, summary = run_controls_analysis(
        tmp_path, blood_studies({"S1": "asthma", "S2": "lupus"}), DISEASES
    )
    for disease in ("asthma", "lupus"):
        assert table.loc[disease, "status"] == "tested"
        assert table.loc[disease, "reference"] == "all controls"
        assert table.loc[disease, "disease_p_value"] != ""
    assert table.loc["rare", "status"] == "skipped: 2 cases, fewer than min_cases = 10"
    assert summary.loc[0, "n_studies"] == 2 and summary.loc[0, "n_skipped"] == 1


def test_controls_analysis_of_a_single_study_is_skipped_with_the_reason(tmp_path):
    table, summary = run_controls_analysis(
        tmp_path, blood_studies({"S1": "asthma"}), ["asthma", "rare"]
    )
    assert table.loc["asthma", "status"] == (
        "skipped: no control samples outside the study to contrast with"
    )
    assert table.loc["asthma", "disease_p_value"] == ""
    assert summary.loc[0, "n_studies"] == 0 and np.isnan(summary.loc[0, "p_value"])
