"""GEO series of an ARCHS4 file as external datasets, and diseases analysed in some datasets only."""

import copy
import gzip

import numpy as np
import pandas as pd
import pytest
import yaml

from deepmodules import figures
from deepmodules.config import check_config, compendium_spec, diseases_of, validate_config
from deepmodules.data import checks, compendium, external, series, sources
from deepmodules.data.external import file_sheet, read_series
from deepmodules.errors import InputError
from tests.conftest import ROOT

SCHEMA = ROOT / "config" / "schema.yaml"


@pytest.fixture
def asthma(config):
    """The demo's asthma series (grouped by a characteristic) and its compendium's config."""
    return copy.deepcopy(config["external"]["asthma_series"]), config["datasets"]["rnaseq"]


@pytest.fixture
def crohns(config):
    """The demo's Crohn's disease series (grouped by patterns on the titles) and its compendium's."""
    return copy.deepcopy(config["external"]["crohns_disease_series"]), config["datasets"]["rnaseq"]


def test_characteristic_rule_groups_the_series_samples(asthma):
    """`disease state` values become groups, compared in lower case; unnamed values are left out."""
    spec, dataset = asthma
    meta = series.series_metadata(spec["matrix"], spec["series"], 0.5, "external.asthma_series")
    assert len(meta) == 30 and meta["series_id"].eq("GSE900001").all()
    sheet = series.series_sheet(meta, spec["group_by"], "external.asthma_series.group_by")
    assert sheet["group"].value_counts().to_dict() == {"asthma": 15, "control": 15}
    shouting = {"characteristic": "Disease State", "values": {"ASTHMA": "asthma"}}
    sheet = series.series_sheet(meta, shouting, "w")
    assert sheet["group"].tolist() == ["asthma"] * 15
    states = [series.parse_characteristics(t)["disease state"] for t in meta["characteristics_ch1"]]
    assert sheet["sample"].tolist() == meta["geo_accession"][np.array(states) == "asthma"].tolist()


def test_title_patterns_group_the_series_samples(crohns):
    """Regular expressions on the titles, the first match winning; ulcerative colitis is unnamed."""
    spec, _ = crohns
    meta = series.series_metadata(spec["matrix"], spec["series"], 0.5, "w")
    sheet = series.series_sheet(meta, spec["group_by"], "w")
    assert sheet["group"].value_counts().to_dict() == {"Crohn's disease": 15, "control": 15}
    assert (
        meta.set_index("geo_accession")
        .loc[sheet["sample"], "title"]
        .str.match(r"(crohns_disease|control)_\d\d$")
        .all()
    )
    first_wins = {"field": "title", "patterns": {"_0": "early", ".": "any"}}
    groups = series.series_sheet(meta, first_wins, "w")["group"]
    assert groups.value_counts().to_dict() == {"any": 45 - 27, "early": 27}


def test_series_reading_equals_the_same_columns_read_in_full(crohns):
    """Only the series' grouped samples are read, with the counts a full read gives them."""
    spec, dataset = crohns
    sheet, genes, counts = read_series("crohns_disease_series", spec, dataset)
    all_genes, meta, everything = sources.read_archs4(spec["matrix"], 0.5)
    assert genes == all_genes and counts.shape == (30, len(genes))
    rows = pd.Index(meta["geo_accession"]).get_indexer(sheet["sample"])
    np.testing.assert_array_equal(counts, everything[rows])


def test_sample_of_several_series_belongs_to_each():
    meta = pd.DataFrame({"series_id": ["GSE1", "GSE1,GSE22", "GSE22", "GSE11"]})
    assert series.in_series(meta, "GSE1").tolist() == [True, True, False, False]
    assert series.in_series(meta, "GSE22").tolist() == [False, True, True, False]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"series": "GSE1"}, r"external\.x\.series: series GSE1 has no bulk samples in .*\.h5"),
        (
            {"group_by": {"characteristic": "diagnosis", "values": {"asthma": "asthma"}}},
            r"external\.x\.group_by\.characteristic: no sample of the series has characteristic "
            r"'diagnosis'; keys here: tissue, disease state\. Fix: .*list_series_groups",
        ),
        (
            {"group_by": {"characteristic": "disease state", "values": {"asthma": "asthma"}}},
            r"external\.x\.group_by: group 'control' has 0 samples, fewer than 3; groups here: "
            r"'asthma'\. Fix: map values of series GSE900001",
        ),
        (
            {"min_samples": 16},
            r"external\.x\.group_by: group 'asthma' has 15 samples, fewer than 16",
        ),
        (
            {"group_by": {"field": "title", "patterns": {"(": "asthma"}}},
            r"external\.x\.group_by\.patterns: '\(' is not a regular expression",
        ),
    ],
)
def test_bad_series_inputs_stop_at_the_check_in_one_line(asthma, change, message):
    spec, dataset = asthma
    assert checks.check_external("x", spec, dataset)  # the demo's rule passes
    with pytest.raises(InputError, match=message) as error:
        checks.check_external("x", {**spec, **change}, dataset)
    assert "\n" not in str(error.value)


def test_check_reports_the_series_groups(asthma):
    spec, dataset = asthma
    rows = pd.DataFrame(checks.check_external("asthma_series", spec, dataset))
    assert "asthma=15, control=15" in rows["result"].tolist()


def test_listing_shows_fields_characteristics_and_groups(asthma):
    spec, _ = asthma
    meta = series.series_metadata(spec["matrix"], spec["series"], 0.5, "w")
    table = series.series_listing(meta, spec["group_by"])
    assert list(table.columns) == [
        "geo_accession",
        "title",
        "source_name_ch1",
        "tissue",
        "disease state",
        "group",
    ]
    assert set(table["disease state"]) == {"asthma", "healthy control"}
    assert set(table["group"]) == {"asthma", "control"}
    unknown = series.series_listing(meta, {"characteristic": "sex", "values": {"m": "male"}})
    assert set(unknown["group"]) == {""}  # the listing still shows what a rule could use


def test_series_are_kept_out_of_the_compendium_of_their_file(config):
    spec = compendium_spec(config, "rnaseq")
    assert spec["exclude_series"] == ["GSE900001", "GSE900002"]
    assert compendium_spec(config, "microarray") == config["datasets"]["microarray"]
    config["datasets"]["rnaseq"].update(exclude_series=["GSE5"], n_samples=9)
    spec = compendium_spec(config, "rnaseq")
    assert spec["exclude_series"] == ["GSE5", "GSE900001", "GSE900002"] and spec["n_samples"] == 9
    assert config["datasets"]["rnaseq"]["exclude_series"] == ["GSE5"]  # the config is not changed


def demo_config():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    validate_config(config, SCHEMA)
    return config


def test_per_dataset_diseases_and_unknown_datasets_are_refused(tmp_path):
    config = demo_config()
    assert list(diseases_of(config, "rnaseq")) == list(config["diseases"])  # default: every dataset
    config["diseases"]["obesity"]["datasets"] = ["microarray"]
    assert "obesity" in diseases_of(config, "microarray")
    assert "obesity" not in diseases_of(config, "rnaseq")
    config["diseases"]["obesity"]["datasets"] = ["microarray", "rna_seq"]
    with pytest.raises(
        InputError,
        match=r"config: diseases\.obesity\.datasets: dataset 'rna_seq' is not configured\. "
        r"Fix: name datasets of `datasets` \(microarray, rnaseq\)",
    ):
        check_config(config, produced=set())


def test_series_with_a_microarray_compendium_is_refused():
    config = demo_config()
    config["external"]["asthma_series"]["compendium"] = "microarray"
    with pytest.raises(
        InputError,
        match=r"config: external\.asthma_series\.compendium: an ARCHS4 series holds counts, but "
        r"dataset 'microarray' is not an archs4",
    ):
        check_config(config, produced=set())


@pytest.mark.parametrize(
    ("external", "missing"),
    [
        ({"source": "archs4", "group_by": {"field": "title", "patterns": {"a": "b"}}}, "series"),
        ({"source": "file", "matrix": "m.tsv"}, "samples"),
        ({"source": "archs4", "series": "GSE1", "group_by": {"field": "title"}}, "group_by"),
    ],
)
def test_schema_asks_for_what_each_source_needs(external, missing):
    config = demo_config()
    base = {"compendium": "rnaseq", "case": "a", "references": ["b"], "gwas_terms": ["t"]}
    config["external"] = {"x": {**base, **external}}
    with pytest.raises(InputError, match=f"config: external.x.*{missing}"):
        validate_config(config, SCHEMA)


def test_series_join_the_figure_with_a_combined_p_over_all():
    table = pd.DataFrame(
        {
            "disease": ["asthma", "obesity"],
            "model": "deep128",
            "layer": "h1",
            "overlap": [3, 1],
            "odds_ratio": [2.0, 1.0],
            "p_value": [0.01, 0.5],
            "q_value": [0.02, 0.5],
            "status": "tested",
            "n_loci": [3, 1],
        }
    )
    own = pd.DataFrame(
        {
            "model": "deep128",
            "layer": ["h1", "h1"],
            "case": "asthma",
            "reference": ["control", "other"],
            "overlap": [4, 2],
            "odds_ratio": [3.0, 1.5],
            "p_value": [0.001, 0.2],
            "status": "tested",
        }
    )
    joined, combined = figures.with_series(table, {"asthma_gse1": own})
    assert joined["disease"].tolist()[2:] == ["asthma_gse1 vs control", "asthma_gse1 vs other"]
    assert combined["n_diseases"].tolist() == [4]
    wide = figures.gwas_table(joined, combined)
    assert wide.loc[2, "deep128 h1 n_loci"] == figures.NOT_COMPUTED
    assert wide.loc[2, "deep128 h1 p_value"] == 0.001
    alone, combined = figures.with_series(None, {"a": own.iloc[:1]})
    assert alone["disease"].tolist() == ["a"] and combined["n_diseases"].tolist() == [1]


def write_series_matrix(meta: pd.DataFrame, path, rows: bool = True) -> None:
    """ARCHS4 sample metadata written as a GEO series matrix: `!Sample_` lines, one characteristics
    line per key (as GEO writes them), a description line (``lib_<accession>``), a blank line and a
    small table, or (``rows`` false: an RNA-seq series) a table without rows; gzipped."""

    def line(name, values):
        return "\t".join([name, *(f'"{v}"' for v in values)])

    kinds = series.characteristics(meta)
    lines = ['!Series_geo_accession\t"GSE900001"', ""]
    lines += [line("!Sample_title", meta["title"])]
    lines += [line("!Sample_geo_accession", meta["geo_accession"])]
    lines += [line("!Sample_source_name_ch1", meta["source_name_ch1"])]
    lines += [line("!Sample_characteristics_ch1", kinds[k].map(f"{k}: {{}}".format)) for k in kinds]
    lines += [line("!Sample_description", "lib_" + meta["geo_accession"])]
    lines += ["!series_matrix_table_begin", line("ID_REF", meta["geo_accession"])]
    lines += ["\t".join(['"TP53"', *("1" for _ in range(len(meta)))])] if rows else []
    lines += ["!series_matrix_table_end"]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def test_a_geo_series_matrix_is_grouped_as_the_same_series_in_archs4(asthma, tmp_path):
    """The demo's asthma series written as a GEO series matrix: `group_by` on its `!Sample_` lines
    gives the sample sheet the ARCHS4 file's metadata gives, patterns on titles too; the rule checks
    the same groups and the listing shows the same fields."""
    spec, dataset = asthma
    meta = series.series_metadata(spec["matrix"], spec["series"], 0.5, "w")
    path = tmp_path / "GSE900001_series_matrix.txt.gz"
    write_series_matrix(meta, path)
    read = series.read_series_matrix_samples(path)
    assert read["geo_accession"].tolist() == meta["geo_accession"].tolist()
    mine = {k: v for k, v in spec.items() if k not in ("source", "series")}
    mine |= {"source": "file", "matrix": str(path)}
    expected, _, _ = read_series("asthma_series", spec, dataset)
    pd.testing.assert_frame_equal(file_sheet("mine", mine), expected)
    titles = {"field": "title", "patterns": {".": "any"}}
    assert (
        len(file_sheet("mine", {**mine, "group_by": titles, "case": "any", "references": ["any"]}))
        == 30
    )
    pd.testing.assert_frame_equal(
        series.series_listing(read, spec["group_by"]),
        series.series_listing(meta, spec["group_by"]),
    )
    unknown = {**mine, "group_by": {"characteristic": "diagnosis", "values": {"x": "asthma"}}}
    with pytest.raises(InputError, match=r"external\.mine\.group_by\.characteristic: .*keys here"):
        file_sheet("mine", unknown)


def test_a_matrix_without_geo_sample_lines_cannot_be_grouped(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("ID_REF\tS1\tS2\nTP53\t1\t2\n")
    with pytest.raises(InputError, match=r"plain\.txt: has no !Sample_geo_accession line"):
        series.read_series_matrix_samples(plain)
    short = tmp_path / "short.txt"
    short.write_text('!Sample_geo_accession\t"GSM1"\t"GSM2"\n!Sample_title\t"a"\n')
    with pytest.raises(InputError, match=r"line 2 \(!Sample_title\) has 1 values for 2 samples"):
        series.read_series_matrix_samples(short)


def test_a_dataset_of_your_own_has_a_sheet_or_a_grouping_rule_not_both():
    """`source: file` with group_by and no samples passes the schema; neither asks for samples;
    both is refused in one line."""
    config = demo_config()
    rule = {"field": "title", "patterns": {"a": "b"}}
    spec = {"compendium": "microarray", "case": "a", "references": ["b"], "gwas_terms": ["t"]}
    spec |= {"source": "file", "matrix": config["external"]["multiple_sclerosis"]["matrix"]}
    config["external"] = {"x": {**spec, "group_by": rule}}
    validate_config(config, SCHEMA)
    config["external"] = {"x": dict(spec)}
    with pytest.raises(InputError, match="config: external.x: 'samples' is a required property"):
        validate_config(config, SCHEMA)
    config["external"] = {"x": {**spec, "group_by": rule, "samples": "s.tsv"}}
    with pytest.raises(InputError, match="external.x: names both a sample sheet"):
        check_config(config, produced=set())


@pytest.mark.parametrize("named_by", ["title", "geo_accession", "description"])
def test_an_rnaseq_series_counts_table_is_grouped_by_its_series_matrix(
    asthma, config, tmp_path, named_by
):
    """The demo's asthma series as GEO publishes an RNA-seq series: a series matrix without table
    rows (the `annotation`) and a counts table of the supplementary files, its columns named by
    title, accession or description line, in another order and with a sample no group names. The
    grouping, and the matrix on the compendium's scale, are those of the same series read from the
    ARCHS4 file; a grouped sample without a column is named."""
    spec, dataset = asthma
    meta = series.series_metadata(spec["matrix"], spec["series"], 0.5, "w")
    annotation = tmp_path / "GSE900001_series_matrix.txt.gz"
    write_series_matrix(meta, annotation, rows=False)
    expected, genes, counts = read_series("asthma_series", spec, dataset)
    column = {
        "title": meta.set_index("geo_accession")["title"],
        "geo_accession": pd.Series(meta["geo_accession"].to_numpy(), meta["geo_accession"]),
        "description": "lib_" + pd.Series(meta["geo_accession"].to_numpy(), meta["geo_accession"]),
    }[named_by]
    table = pd.DataFrame(counts.T, index=pd.Index(genes, name="gene"))
    table.columns = column.loc[expected["sample"]].to_numpy()
    table = table.iloc[:, ::-1].assign(extra=1)
    matrix = tmp_path / "GSE900001_raw_counts.tsv.gz"
    table.to_csv(matrix, sep="\t")
    mine = {k: v for k, v in spec.items() if k not in ("source", "series")}
    mine |= {"source": "file", "matrix": str(matrix), "annotation": str(annotation)}
    mine |= {"values": "counts"}
    sheet = file_sheet("mine", mine)
    assert sheet["group"].tolist() == expected["group"].tolist()
    assert sheet["sample"].tolist() == column.loc[expected["sample"]].tolist()
    assert checks.check_external("mine", mine, dataset)
    reference = compendium.prepare(
        compendium_spec(config, "rnaseq"), diseases_of(config, "rnaseq"), 1, tmp_path / "rnaseq"
    )
    _, ours = external.to_compendium("mine", mine, dataset, reference)
    _, archs4 = external.to_compendium("asthma_series", spec, dataset, reference)
    np.testing.assert_allclose(ours, archs4, atol=1e-6)

    table.drop(columns=table.columns[0]).to_csv(matrix, sep="\t")
    with pytest.raises(InputError, match=r"raw_counts.tsv.gz: 1 of the 30 grouped samples have no"):
        file_sheet("mine", mine)


def test_a_series_matrix_annotation_needs_a_grouping_rule():
    config = demo_config()
    spec = dict(config["external"]["multiple_sclerosis"], annotation=str(SCHEMA))
    config["external"] = {"multiple_sclerosis": spec}
    with pytest.raises(InputError, match="external.multiple_sclerosis.annotation: .*no group_by"):
        check_config(config, produced=set())
