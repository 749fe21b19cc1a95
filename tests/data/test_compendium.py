import numpy as np
import pandas as pd
import pytest

from deepmodules import simulate as sim
from deepmodules.config import compendium_spec, diseases_of, validate_config
from deepmodules.data import annotation, compendium, sources
from deepmodules.data import archs4 as archs4_data
from deepmodules.errors import InputError
from tests.conftest import ROOT, SMALL


@pytest.mark.parametrize("dataset", ["microarray", "rnaseq"])
def test_prepare_writes_a_normalized_split_compendium(config, dataset, tmp_path):
    """As the normalize rule builds it: the rnaseq compendium leaves the demo's disease series out."""
    spec = compendium_spec(config, dataset)
    data = compendium.prepare(spec, config["diseases"], seed=1, outdir=tmp_path)
    loaded = compendium.load(tmp_path)
    assert loaded.values.shape == (SMALL[f"n_{dataset}_samples"], len(loaded.genes))
    assert float(loaded.values.min()) == 0.0 and float(loaded.values.max()) == 1.0
    np.testing.assert_array_equal(loaded.values.min(axis=0), 0.0)
    assert set(loaded.samples["split"]) == {"train", "test"}
    assert (loaded.samples["split"] == "test").mean() == pytest.approx(spec["test_size"], abs=0.01)
    assert set(sim.DISEASES[d]["label"] for d in config["diseases"]) <= set(
        loaded.samples["disease"]
    )
    assert loaded.genes == data.genes


def test_too_few_cases_are_skipped_and_a_misspelt_label_is_refused_before_writing(
    config, tmp_path, caplog
):
    spec = {**config["datasets"]["microarray"], "min_cases": SMALL["cases_per_study"] + 1}
    compendium.prepare(spec, config["diseases"], seed=1, outdir=tmp_path / "out")
    assert "fewer than min_cases" in caplog.text
    diseases = {**config["diseases"], "asthma": {**config["diseases"]["asthma"], "label": "Asthma"}}
    with pytest.raises(InputError, match="set diseases.asthma.label to 'asthma'"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def write_matrix(path, values, genes, samples):
    table = pd.DataFrame(values.T, index=pd.Index(genes, name="Hybridization REF"), columns=samples)
    table.to_csv(path, sep="\t")


def small_emtab(tmp_path, values):
    """A three-gene E-MTAB-style matrix and SDRF with one disease of 12 samples."""
    samples = [f"S{i}" for i in range(len(values))]
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_matrix(tmp_path / "matrix.txt", values, ["A", "B", "C"], samples)
    sdrf = pd.DataFrame(
        {
            "Assay Name": samples,
            "Characteristics[organism part]": "blood",
            "Characteristics[disease]": ["asthma"] * 12 + ["normal"] * (len(samples) - 12),
            "Characteristics[study]": "S1",
        }
    )
    sdrf.to_csv(tmp_path / "sdrf.txt", sep="\t", index=False)
    spec = {
        "format": "emtab",
        "values": "log",
        "noise_floor": 3.0,
        "matrix": str(tmp_path / "matrix.txt"),
        "matrix_member": None,
        "annotation": str(tmp_path / "sdrf.txt"),
        "columns": {
            "sample": "Assay Name",
            "cell_type": "Characteristics[organism part]",
            "disease": "Characteristics[disease]",
            "study": "Characteristics[study]",
        },
        "control_label": "normal",
        "test_size": 0.25,
        "drop_constant_genes": False,
        "min_cases": 10,
    }
    return spec, {"asthma": {"label": "asthma"}}


def test_genes_with_missing_values_are_left_out_of_the_compendium(tmp_path):
    """A gene missing in one sample is left out; the other genes are scaled as without it."""
    values = np.random.default_rng(0).random((20, 3))
    complete = compendium.prepare(*small_emtab(tmp_path / "complete", values), 1, tmp_path / "a")
    values[3, 1] = np.nan
    data = compendium.prepare(*small_emtab(tmp_path / "gaps", values), 1, tmp_path / "b")
    assert data.genes == ["A", "C"]
    np.testing.assert_array_equal(data.values, complete.values[:, [0, 2]])
    values[0, :] = np.nan  # a sample column that holds no numbers: refused, nothing written
    spec, diseases = small_emtab(tmp_path / "empty", values)
    with pytest.raises(InputError, match="matrix.txt: .*samples miss more than 50%"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_constant_genes_are_refused_or_dropped(tmp_path):
    values = np.random.default_rng(0).random((20, 3))
    values[:, 2] = 5.0
    spec, diseases = small_emtab(tmp_path, values)
    with pytest.raises(InputError, match="1 genes are constant .*drop_constant_genes"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    data = compendium.prepare({**spec, "drop_constant_genes": True}, diseases, 1, tmp_path / "ok")
    assert data.genes == ["A", "B"]


def test_unknown_disease_lists_the_labels_present(tmp_path):
    spec, _ = small_emtab(tmp_path, np.random.default_rng(0).random((20, 3)))
    with pytest.raises(InputError, match="labels here: asthma, normal"):
        compendium.prepare(spec, {"lupus": {"label": "lupus"}}, 1, tmp_path / "out")


def write_mapping(path):
    """A biomaRt-style export: Ensembl ids (some without version) and Entrez ids to symbols."""
    path.write_text(
        "ensembl_gene_id\tentrezgene_id\thgnc_symbol\n"
        "ENSG00000000001\t101\tA\n"
        "ENSG00000000002\t102\tB\n"
        "ENSG00000000003\t103\tB\n"  # a second id of B
        "ENSG00000000004\t104\tC /// D\n"  # ambiguous
    )
    return path


def gene_ids(path, id_column="ensembl_gene_id", min_mapped=0.5):
    return {"mapping": str(path), "from": id_column, "to": "hgnc_symbol", "min_mapped": min_mapped}


def test_row_ids_map_to_symbols_and_merge_by_highest_mean(tmp_path, caplog):
    ids = ["ENSG00000000001.4", "ENSG00000000002.1", "ENSG00000000003.9", "ENSG00000000004.2"]
    values = np.array([[1.0, 2.0, 9.0, 3.0], [1.0, 2.0, 7.0, 3.0]])
    with caplog.at_level("INFO", logger="deepmodules"):
        genes, kept = compendium.gene_symbols(
            ids, values, gene_ids(write_mapping(tmp_path / "map.tsv")), "m.txt"
        )
    assert genes == ["A", "B"]
    np.testing.assert_array_equal(kept, [[1.0, 9.0], [1.0, 7.0]])  # B: the row of mean 8, not 2
    assert "3 of 4 rows mapped to a gene symbol" in caplog.text
    assert "1 ids of the table are ambiguous" in caplog.text


def test_entrez_probe_sets_map_through_the_entrez_column(tmp_path):
    table = write_mapping(tmp_path / "map.tsv")
    genes, _ = compendium.gene_symbols(
        ["101_at", "102_at", "999_at"], np.ones((2, 3)), gene_ids(table, "entrezgene_id"), "m.txt"
    )
    assert genes == ["A", "B"]


def test_too_few_mapped_rows_is_refused_with_examples_and_the_key(tmp_path):
    table = write_mapping(tmp_path / "map.tsv")
    ids = ["101_at", "X1", "X2", "X3", "X4"]
    with pytest.raises(InputError) as error:
        compendium.gene_symbols(ids, np.ones((2, 5)), gene_ids(table), "m.txt")
    message = str(error.value)
    assert message.startswith("m.txt: only 0 of 5 rows (0%) map to a symbol")
    assert "e.g. 101_at, X1, X2)" in message and "datasets.*.gene_ids.from" in message
    assert "\n" not in message
    genes, _ = compendium.gene_symbols(ids, np.ones((2, 5)), gene_ids(table, min_mapped=0), "m")
    assert genes == []  # the threshold, not the mapping, refused


def test_identifiers_without_a_mapping_are_refused_and_symbols_pass():
    ids = ["ENSG00000000001.4", "ENSG00000000002", "TP53"]
    with pytest.raises(InputError, match=r"67% of the row ids .*e.g. ENSG00000000001.4.*gene_ids"):
        compendium.gene_symbols(ids, np.ones((2, 3)), None, "m.txt")
    genes, _ = compendium.gene_symbols(["TP53", "HLA-A", "7SK"], np.ones((2, 3)), None, "m.txt")
    assert genes == ["TP53", "HLA-A", "7SK"]


def test_prepare_maps_ids_and_counts_sdrf_rows_without_a_column(tmp_path, caplog):
    values = np.random.default_rng(0).random((20, 3))
    spec, diseases = small_emtab(tmp_path, values)
    write_matrix(
        tmp_path / "matrix.txt",
        values,
        ["ENSG00000000001.1", "ENSG00000000002.1", "ENSG00000000009.1"],
        [f"S{i}" for i in range(20)],
    )
    sdrf = pd.read_csv(spec["annotation"], sep="\t")
    pd.concat([sdrf, sdrf.iloc[:2].assign(**{"Assay Name": ["T1", "T2"]})]).to_csv(
        spec["annotation"], sep="\t", index=False
    )
    spec["gene_ids"] = gene_ids(write_mapping(tmp_path / "map.tsv"))
    with caplog.at_level("INFO", logger="deepmodules"):
        data = compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    assert data.genes == ["A", "B"]
    assert "2 SDRF samples are not columns of the matrix" in caplog.text


def test_matrix_columns_without_sdrf_rows_are_refused_with_examples(tmp_path):
    spec, diseases = small_emtab(tmp_path, np.random.default_rng(0).random((20, 3)))
    sdrf = pd.read_csv(spec["annotation"], sep="\t")
    sdrf.iloc[5:].to_csv(spec["annotation"], sep="\t", index=False)
    with pytest.raises(InputError, match=r"5 of 20 matrix columns have no row .*e.g. S0, S1, S2\)"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_gene_ids_config_gets_its_default(config):
    config["datasets"]["microarray"]["gene_ids"] = {
        "mapping": "map.tsv",
        "from": "ensembl_gene_id",
        "to": "hgnc_symbol",
    }
    validate_config(config, ROOT / "config" / "schema.yaml")
    assert config["datasets"]["microarray"]["gene_ids"]["min_mapped"] == 0.5
    assert "gene_ids" not in config["datasets"]["rnaseq"]


def test_shared_genes_are_logged_and_a_small_share_warns(caplog):
    genes = ["A", "B", "C", "D"]
    references = {"STRING": {"A", "B", "C", "X"}, "refGene": {"ENSG00000000001", "A"}}
    with caplog.at_level("INFO", logger="deepmodules"):
        shared = compendium.report_shared_genes(genes, references, "m.txt")
    assert shared == {"STRING": 3, "refGene": 1}
    levels = {r.getMessage(): r.levelname for r in caplog.records}
    assert levels == {
        "m.txt: 3 of 4 genes (75%) are genes of STRING": "INFO",
        "m.txt: 1 of 4 genes (25%) are genes of refGene": "WARNING",
    }


def test_archs4_characteristic_columns_are_matched_in_any_letter_case():
    """columns.disease: Sex reads the characteristic written "sex: female", as series grouping does;
    a key no sample has is refused with the rule in the message."""
    meta = pd.DataFrame(
        {
            "geo_accession": ["GSM1", "GSM2"],
            "characteristics_ch1": ["Sex: female,tissue: lung", "sex: male,tissue: lung"],
        }
    )
    spec = {"matrix": "archs4.h5", "columns": {"sample": "geo_accession", "disease": "Sex"}}
    table = annotation.archs4_annotation(spec, meta)
    assert table["Sex"].tolist() == ["female", "male"]
    spec["columns"]["disease"] = "Diagnosis"
    with pytest.raises(
        InputError,
        match=r"named \['Diagnosis'\] \(characteristic keys are matched in any letter case\)",
    ):
        annotation.archs4_annotation(spec, meta)


def test_a_geo_series_matrix_is_its_own_annotation(tmp_path):
    """A GEO series matrix as matrix and annotation: `columns` name its samples' fields, keys of its
    characteristics lines and its series id, and the compendium is the one an SDRF of the same
    samples gives; a key it does not have is named with the fields it has."""
    values = np.random.default_rng(0).random((20, 3))
    spec, diseases = small_emtab(tmp_path, values)
    from_sdrf = compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "sdrf")
    samples = [f"S{i}" for i in range(20)]
    quoted = "\t".join(f'"{s}"' for s in samples)
    disease = "\t".join(f'"disease state: {d}"' for d in ["asthma"] * 12 + ["normal"] * 8)
    lines = ['!Series_title\t"twenty samples"', '!Series_geo_accession\t"GSE1"', ""]
    lines += [f"!Sample_geo_accession\t{quoted}", f"!Sample_characteristics_ch1\t{disease}"]
    lines += ["\t".join(["!Sample_source_name_ch1", *['"blood"'] * 20])]
    lines += ["!series_matrix_table_begin", f'"ID_REF"\t{quoted}']
    lines += ["\t".join([f'"{g}"', *map(str, row)]) for g, row in zip("ABC", values.T, strict=True)]
    lines += ["!series_matrix_table_end"]
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text("\n".join(lines) + "\n")
    columns = {"sample": "geo_accession", "cell_type": "source_name_ch1"}
    columns |= {"disease": "Disease State", "study": "series_id"}
    geo = {**spec, "matrix": str(path), "annotation": str(path), "columns": columns}
    from_geo = compendium.prepare(geo, diseases, seed=1, outdir=tmp_path / "geo")
    np.testing.assert_array_equal(from_geo.values, from_sdrf.values)
    assert from_geo.samples["disease"].tolist() == from_sdrf.samples["disease"].tolist()
    assert set(from_geo.samples["study"]) == {"GSE1"}
    with pytest.raises(InputError, match=r"no sample field or characteristic named \['tissue'\]"):
        compendium.prepare(
            {**geo, "columns": {**columns, "cell_type": "tissue"}}, diseases, 1, tmp_path / "no"
        )


def test_a_counts_table_is_normalized_as_the_archs4_compendium_of_the_same_counts(config, tmp_path):
    """The demo's RNA-seq compendium written as a processed matrix of counts with an SDRF
    (`values: counts`) gives the compendium the ARCHS4 file gives: the same scaled values, genes,
    split and scale (upper-quartile reference, noise floor), so external counts align to either."""
    spec = compendium_spec(config, "rnaseq")
    diseases = diseases_of(config, "rnaseq")
    archs4 = compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "archs4")
    samples = archs4.samples["sample"].tolist()
    ids, _, counts = sources.read_archs4(spec["matrix"], spec["single_cell_threshold"], samples)
    genes, counts = archs4_data.counts_by_symbol(ids, counts, spec.get("gene_ids"), "h5")
    write_matrix(tmp_path / "counts.txt", counts, genes, samples)
    archs4.samples.drop(columns="split").to_csv(tmp_path / "sdrf.txt", sep="\t", index=False)
    table = {
        **{k: spec[k] for k in ("test_size", "drop_constant_genes", "min_cases", "noise_floor")},
        "format": "emtab",
        "values": "counts",
        "matrix": str(tmp_path / "counts.txt"),
        "matrix_member": None,
        "annotation": str(tmp_path / "sdrf.txt"),
        "columns": {c: c for c in ("sample", "cell_type", "disease", "study")},
        "control_label": spec["control_label"],
    }
    emtab = compendium.prepare(table, diseases, seed=1, outdir=tmp_path / "emtab")
    assert emtab.genes == archs4.genes and emtab.scale.keys() == archs4.scale.keys()
    assert emtab.scale["upper_quartile_reference"] == pytest.approx(
        archs4.scale["upper_quartile_reference"], rel=1e-6
    )
    pd.testing.assert_frame_equal(emtab.samples, archs4.samples, check_categorical=False)
    np.testing.assert_allclose(emtab.values, archs4.values, atol=1e-5)


def test_raw_values_declared_log_and_negative_counts_are_refused(tmp_path):
    values = np.random.default_rng(0).random((20, 3)) * 60000  # raw intensities
    spec, diseases = small_emtab(tmp_path, values)
    with pytest.raises(
        InputError, match=r"values up to 5.*e\+04 are not log-scale .*values: counts"
    ):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    values[0, 0] = -1.0
    spec, diseases = small_emtab(tmp_path, values)
    with pytest.raises(InputError, match="has negative values, which counts cannot be"):
        compendium.prepare({**spec, "values": "counts"}, diseases, 1, tmp_path / "out")
