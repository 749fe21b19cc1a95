"""The input checks of the check_inputs stage: each bad input is one InputError naming its file."""

import gzip
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from deepmodules import layout
from deepmodules.config import compendium_spec, diseases_of, series_matrices, validate_config
from deepmodules.data import annotation, checks, compendium, external, sources
from deepmodules.data.integrity import check_integrity
from deepmodules.errors import InputError

from ..conftest import ROOT


@pytest.fixture
def inputs(small_sources, tmp_path):
    """A copy of the small simulated sources and the demo config pointing at it."""
    sources = tmp_path / "sources"
    shutil.copytree(small_sources, sources)
    with open(ROOT / "config" / "config.yaml") as handle:
        text = yaml.safe_dump(yaml.safe_load(handle)).replace("resources/demo", str(sources))
    config = yaml.safe_load(text)
    validate_config(config, ROOT / "config" / "schema.yaml")
    series_matrices(config)
    return sources, config


def run_all(config):
    """Every check of the stage, in the workflow's order; the report rows."""
    rows, genes = [], {}
    for name, spec in config["datasets"].items():
        rows += checks.check_dataset(name, compendium_spec(config, name), config["diseases"], 1)
        genes[name] = checks.head_genes(spec)
    rows += checks.check_network(config["network"], genes)
    rows += checks.check_gwas(config["gwas"], {**config["diseases"], **config["external"]}, genes)
    for name, spec in config["external"].items():
        rows += checks.check_external(name, spec, config["datasets"][spec["compendium"]])
    return pd.DataFrame(rows)


def write_links(path, lines):
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(["protein1 protein2 combined_score", *lines]) + "\n")


def rescore(path, transform):
    """Rewrite the scores of a STRING links file."""
    with gzip.open(path, "rt") as handle:
        header, *lines = handle.read().splitlines()
    rows = [line.rsplit(" ", 1) for line in lines]
    write_links(path, [f"{pair} {transform(int(score))}" for pair, score in rows])


def truncate(path, keep=0.6):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_good_inputs_pass_with_a_report(inputs):
    _, config = inputs
    report = run_all(config)
    assert list(report.columns) == checks.COLUMNS
    edges = report[report["check"].str.startswith("edges with combined_score")]["result"]
    assert int(edges.iloc[0]) > 0
    assert set(report["input"]) >= {
        "datasets.microarray.matrix",
        "datasets.rnaseq.matrix",
        "network.links",
        "gwas.refgene",
        "external.multiple_sclerosis.samples",
    }


def test_string_with_a_header_and_no_links_is_refused(inputs):
    sources, config = inputs
    write_links(config["network"]["links"], [])
    with pytest.raises(InputError, match=r"links\.v12\.0\.txt\.gz: has a header but no links"):
        checks.check_network(config["network"], {})


def test_string_scores_on_0_to_1_are_refused(inputs):
    _, config = inputs
    rescore(config["network"]["links"], lambda score: score / 1000)
    with pytest.raises(InputError, match="scores are on 0-1"):
        checks.check_network(config["network"], {})


def test_string_scores_on_0_to_1000_pass_the_same_check(inputs):
    """Negative control of the 0-1 check: the scores unchanged (rewritten) still pass."""
    _, config = inputs
    rescore(config["network"]["links"], lambda score: score)
    assert checks.check_network(config["network"], {})


def test_min_score_above_every_link_is_refused(inputs):
    _, config = inputs
    rescore(config["network"]["links"], lambda score: min(score, 300))
    with pytest.raises(
        InputError, match="none of its .* links has combined_score >= min_score = 400"
    ):
        checks.check_network(config["network"], {})


def test_network_naming_none_of_the_genes_is_refused(inputs):
    _, config = inputs
    with pytest.raises(InputError, match="names none of the genes of dataset 'x'"):
        checks.check_network(config["network"], {"x": ["NOTAGENE1", "NOTAGENE2"]})


@pytest.mark.parametrize(
    "section, name, key",
    [
        ("datasets", "microarray", "matrix"),
        ("datasets", "rnaseq", "matrix"),
        ("network", None, "links"),
        ("network", None, "info"),
        ("gwas", None, "refgene"),
    ],
)
def test_truncated_compressed_file_is_named(inputs, section, name, key):
    _, config = inputs
    path = (config[section][name] if name else config[section])[key]
    truncate(Path(path))
    with pytest.raises(InputError, match=rf"{path}: the file is truncated or corrupt"):
        run_all(config)


def test_zip_member_with_a_bad_crc_is_named(inputs, tmp_path):
    _, config = inputs
    path = config["datasets"]["microarray"]["matrix"]
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        data = archive.read(member)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(member, data)
    raw = bytearray(open(path, "rb").read())
    raw[len(raw) // 2] ^= 0xFF  # one byte of the stored member flipped
    open(path, "wb").write(bytes(raw))
    with pytest.raises(InputError, match=r"processed\.1\.zip: the file is truncated or corrupt"):
        check_integrity(path)


def test_hdf5_without_its_datasets_is_refused(inputs):
    _, config = inputs
    path = config["datasets"]["rnaseq"]["matrix"]
    with h5py.File(path, "a") as h5:
        del h5["data/expression"]
    with pytest.raises(InputError, match="missing datasets data/expression"):
        checks.check_dataset("rnaseq", config["datasets"]["rnaseq"], config["diseases"], 1)


def test_archs4_diseases_are_counted_among_the_samples_normalize_takes(inputs):
    """Cases that sit only in excluded series are no cases of the compendium: the check refuses the
    disease as normalize would, instead of counting it over the whole file."""
    _, config = inputs
    spec = compendium_spec(config, "rnaseq")
    _, meta = sources.read_archs4_metadata(spec["matrix"], spec["single_cell_threshold"])
    table = annotation.archs4_annotation(spec, meta)
    label = config["diseases"]["asthma"]["label"]
    series = meta.loc[table[spec["columns"]["disease"]].to_numpy() == label, "series_id"]
    assert len(series) >= spec["min_cases"]
    checks.check_dataset("rnaseq", spec, config["diseases"], 1)  # negative control: all kept
    spec["exclude_series"] = sorted(set(",".join(series).split(",")))
    with pytest.raises(InputError, match=rf"disease 'asthma' \(label '{label}'\) has no samples"):
        checks.check_dataset("rnaseq", spec, config["diseases"], 1)


def test_unknown_disease_label_is_refused_at_the_check(inputs):
    _, config = inputs
    diseases = {**config["diseases"], "asthma": {"label": "asthmaa", "gwas_terms": ["x"]}}
    with pytest.raises(InputError, match="disease 'asthma' \\(label 'asthmaa'\\) has no samples"):
        checks.check_dataset("microarray", config["datasets"]["microarray"], diseases, 1)


def test_annotation_missing_a_column_is_refused(inputs):
    _, config = inputs
    spec = config["datasets"]["microarray"]
    spec["columns"]["disease"] = "Characteristics[illness]"
    with pytest.raises(
        InputError,
        match=r"sdrf\.txt: missing column\(s\) .Characteristics\[illness\]. of the sample table",
    ):
        checks.check_dataset("microarray", spec, config["diseases"], 1)


def test_gwas_trait_without_associations_is_refused(inputs):
    _, config = inputs
    diseases = {**config["diseases"], "asthma": {"label": "asthma", "gwas_terms": ["no such"]}}
    with pytest.raises(InputError, match="no association matches disease 'asthma'"):
        checks.check_gwas(config["gwas"], diseases, {})


def test_gwas_table_missing_a_column_is_refused(inputs):
    _, config = inputs
    path = config["gwas"]["gwas_catalog"]
    table = pd.read_csv(path, sep="\t", dtype=str)
    table.drop(columns="CHR_POS").to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match="missing column\\(s\\) 'CHR_POS'"):
        checks.check_gwas(config["gwas"], config["diseases"], {})


def test_mixed_genome_builds_are_refused(inputs):
    _, config = inputs
    config["gwas"]["refgene_build"] = "hg19"
    with pytest.raises(InputError, match="snp_build"):
        checks.check_gwas(config["gwas"], config["diseases"], {})


def test_external_group_absent_from_the_sheet_is_refused(inputs):
    _, config = inputs
    spec = config["external"]["multiple_sclerosis"]
    spec["references"] = ["healthy"]
    with pytest.raises(InputError, match="group 'healthy' has 0 samples"):
        checks.check_external("multiple_sclerosis", spec, config["datasets"]["microarray"])


def test_external_raw_values_declared_log_are_refused(inputs):
    _, config = inputs
    spec = config["external"]["multiple_sclerosis"]
    table = pd.read_csv(spec["matrix"], sep="\t", index_col=0)
    (2**table).to_csv(spec["matrix"], sep="\t")
    with pytest.raises(InputError, match=r"are not log2 values \(values: log\)"):
        checks.check_external("multiple_sclerosis", spec, config["datasets"]["microarray"])
    spec["values"] = "counts"  # the same values declared as counts pass
    assert checks.check_external("multiple_sclerosis", spec, config["datasets"]["microarray"])


def test_external_missing_values_leave_their_genes_out_and_an_empty_sample_is_refused(
    inputs, tmp_path
):
    """A ``null`` cell (as GEO series matrices write them) passes the input check and leaves its gene
    out of the stage's matrix (0.5, like a gene the dataset lacks), every other gene as without it;
    a sample column of words is refused by check_external, before any training job."""
    _, config = inputs
    spec, microarray = config["external"]["multiple_sclerosis"], config["datasets"]["microarray"]
    reference = compendium.prepare(microarray, diseases_of(config, "microarray"), 1, tmp_path / "c")
    _, before = external.to_compendium("multiple_sclerosis", spec, microarray, reference)
    table = pd.read_csv(spec["matrix"], sep="\t", index_col=0).astype(object)
    gene = next(g for g in table.index if g in reference.genes)
    table.loc[gene, table.columns[2]] = "null"
    table.to_csv(spec["matrix"], sep="\t")
    assert checks.check_external("multiple_sclerosis", spec, microarray)
    _, after = external.to_compendium("multiple_sclerosis", spec, microarray, reference)
    column = reference.genes.index(gene)
    assert (after[:, column] == 0.5).all() and not (before[:, column] == 0.5).all()
    others = np.arange(after.shape[1]) != column
    np.testing.assert_array_equal(after[:, others], before[:, others])

    sample = table.columns[4]
    table[sample] = "n/d"
    table.to_csv(spec["matrix"], sep="\t")
    with pytest.raises(InputError, match=rf"1 samples miss more than 50% .*{sample} \(100%\)"):
        checks.check_external("multiple_sclerosis", spec, microarray)


def test_external_sample_missing_from_the_matrix_is_refused(inputs):
    _, config = inputs
    spec = config["external"]["multiple_sclerosis"]
    sheet = pd.read_csv(spec["samples"], sep="\t")
    sheet.loc[0, "sample"] = "GSM_NOT_THERE"
    sheet.to_csv(spec["samples"], sep="\t", index=False)
    with pytest.raises(InputError, match="1 samples are not in the matrix"):
        checks.check_external("multiple_sclerosis", spec, config["datasets"]["microarray"])


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="absent.txt.gz: file not found"):
        check_integrity(tmp_path / "absent.txt.gz")


@pytest.mark.parametrize(
    "external, dataset", [("multiple_sclerosis", "microarray"), ("asthma_series", "rnaseq")]
)
def test_external_on_the_compendium_scale_passes_before_training(
    inputs, tmp_path, external, dataset
):
    _, config = inputs
    spec, compendium_spec = config["external"][external], config["datasets"][dataset]
    diseases = diseases_of(config, dataset)
    compendium.prepare(compendium_spec, diseases, config["seed"], tmp_path / dataset)
    files = layout.normalized_files(tmp_path / dataset)
    rows = checks.check_external_scale(
        external, spec, compendium_spec, files["genes"], files["scale"]
    )
    assert rows[0]["result"].endswith(f"× {len(compendium.load(tmp_path / dataset).genes)}")
    assert float(rows[1]["result"]) < 0.2


def test_external_off_the_compendium_scale_is_refused_before_training(inputs, tmp_path):
    _, config = inputs
    spec, microarray = config["external"]["multiple_sclerosis"], config["datasets"]["microarray"]
    compendium.prepare(microarray, diseases_of(config, "microarray"), 1, tmp_path / "microarray")
    table = pd.read_csv(spec["matrix"], sep="\t", index_col=0)
    (table + 12).to_csv(spec["matrix"], sep="\t")  # log2 values, but 4,096 times too bright
    with pytest.raises(InputError, match="far outside the compendium's range") as error:
        files = layout.normalized_files(tmp_path / "microarray")
        checks.check_external_scale(
            "multiple_sclerosis", spec, microarray, files["genes"], files["scale"]
        )
    assert str(error.value).startswith(spec["matrix"])


def test_a_file_of_another_format_than_its_name_is_named_as_such(tmp_path):
    """gzip data named .zip and plain text named .gz are not "truncated or corrupt": the message
    says which format the file holds. A directory is named as one."""
    (tmp_path / "matrix.zip").write_bytes(gzip.compress(b"gene\tvalue\nA\t1\n"))
    with pytest.raises(InputError, match=r"matrix\.zip: is named \.zip but holds gzip data"):
        check_integrity(tmp_path / "matrix.zip")
    (tmp_path / "links.txt.gz").write_text("protein1 protein2 combined_score\n")
    with pytest.raises(
        InputError, match=r"links\.txt\.gz: is named \.gz but holds plain text data"
    ):
        check_integrity(tmp_path / "links.txt.gz")
    (tmp_path / "ok.txt.gz").write_bytes(gzip.compress(b"a b\n"))
    assert check_integrity(tmp_path / "ok.txt.gz").startswith("gzip: stream complete")
    with pytest.raises(InputError, match="is a directory, not a file"):
        check_integrity(tmp_path)


def test_a_gene_filter_that_leaves_too_few_genes_is_refused_before_training(inputs, tmp_path):
    """5 genes left by the filter: the check after normalize names the file, the count and the
    settings that keep more; the same compendium with a lower requirement passes."""
    _, config = inputs
    spec = compendium_spec(config, "rnaseq") | {"max_genes": 5}
    compendium.prepare(spec, diseases_of(config, "rnaseq"), config["seed"], tmp_path / "rnaseq")
    info = config["network"]["info"]
    with pytest.raises(InputError, match=r"kept 5 genes, 5 of them named in STRING") as error:
        checks.check_compendium("rnaseq", spec, tmp_path / "rnaseq", info, 100)
    assert str(error.value).startswith(str(tmp_path / "rnaseq" / "genes.tsv"))
    assert "datasets.rnaseq.max_genes" in str(error.value)
    rows = checks.check_compendium("rnaseq", spec, tmp_path / "rnaseq", info, 5)
    assert [row["result"] for row in rows] == ["5", "5 of 5"]
