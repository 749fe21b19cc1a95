"""Readers of the expression sources: shapes, parsing and one-line errors naming the file."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from deepmodules.data import identifiers, sources, textfiles
from deepmodules.data.series import parse_characteristics
from deepmodules.data.sources import (
    read_archs4,
    read_processed_matrix,
    read_sdrf,
)
from deepmodules.errors import InputError

MATRIX = (
    "Hybridization REF\tS1\tS2\tS3\nGENEA\t1.5\t2.25\t3\nGENEB\t4\tnull\t6.125\nGENEC\t7\t8\tNA\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_processed_matrix_is_read_as_samples_by_genes_with_text_as_nan(tmp_path: Path):
    genes, samples, values = read_processed_matrix(_write(tmp_path / "m.txt", MATRIX))
    assert genes == ["GENEA", "GENEB", "GENEC"]
    assert samples == ["S1", "S2", "S3"]
    assert values.dtype == np.float32 and values.shape == (3, 3)
    expected = np.array([[1.5, 4, 7], [2.25, np.nan, 8], [3, 6.125, np.nan]], dtype=np.float32)
    np.testing.assert_array_equal(values, expected)


def test_zip_member_is_streamed_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(0)
    data = np.round(rng.uniform(2, 14, size=(50, 7)), 4)  # genes × samples
    lines = ["Hybridization REF\t" + "\t".join(f"S{j}" for j in range(7))]
    lines += [f"G{i}\t" + "\t".join(f"{x:.4f}" for x in row) for i, row in enumerate(data)]
    archive = _zip(tmp_path / "m.zip", {"readme.txt": "x", "matrix.txt": "\r\n".join(lines)})
    monkeypatch.setattr(sources, "BLOCK_VALUES", 20)  # 2 genes per block
    genes, samples, values = read_processed_matrix(archive, "matrix.txt")
    assert genes == [f"G{i}" for i in range(50)] and len(samples) == 7
    np.testing.assert_allclose(values, data.T.astype(np.float32))


def test_single_member_zip_needs_no_member_name_and_quantitation_line_is_skipped(tmp_path: Path):
    text = MATRIX.replace("\n", "\nCompositeElement REF\tvalue\tvalue\tvalue\n", 1)
    genes, _, values = read_processed_matrix(_zip(tmp_path / "m.zip", {"m.txt": text}))
    assert genes == ["GENEA", "GENEB", "GENEC"] and values.shape == (3, 3)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (MATRIX.replace("\t3\n", "\n"), "line 2 has 3 fields, the header has 4"),
        (MATRIX.replace("\t6.125\n", "\t6.125\t9\n"), "line 3 has 5 fields"),
        (MATRIX.replace("S3", "S1"), "duplicated sample names, e.g. S1"),
        ("", "has no line besides blank ones and `!` lines"),
        ('!Series_title\t"x"\n\n!series_matrix_table_begin\n', "has no line besides"),
        ("Hybridization REF\tS1\n", "no gene rows after the header"),
        ("Gene\nGENEA\nGENEB\n", "no sample columns"),
        ("Gene\tS1\tS2\nA\tx\tNA\nB\tnull\ty\n", "no value of the matrix is a number"),
    ],
)
def test_malformed_matrix_is_an_input_error_naming_the_file(
    tmp_path: Path, text: str, problem: str
):
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(InputError, match=problem) as error:
        read_processed_matrix(path)
    assert str(path) in str(error.value)


EXPECTED_VALUES = np.array([[1.5, 4, 7], [2.25, np.nan, 8], [3, 6.125, np.nan]], dtype=np.float32)


@pytest.mark.parametrize(
    "header",
    [
        "Hybridization REF\tS1\tS2\tS3",
        "Gene\tS1\tS2\tS3",
        "ID_REF\tS1\tS2\tS3",
        "\tS1\tS2\tS3",
        '"Gene name"\t"S1"\t"S2"\t"S3"',
        "S1\tS2\tS3",  # no cell above the gene column: the header is one field shorter
    ],
)
def test_any_first_header_cell_or_none_reads_the_same(tmp_path: Path, header: str):
    text = header + MATRIX[MATRIX.index("\n") :]
    genes, samples, values = read_processed_matrix(_write(tmp_path / "m.txt", text))
    assert genes == ["GENEA", "GENEB", "GENEC"] and samples == ["S1", "S2", "S3"]
    np.testing.assert_array_equal(values, EXPECTED_VALUES)


@pytest.mark.parametrize(
    "second_line",
    [
        "Composite Element REF\tlog2 signal\tlog2 signal\tlog2 signal",
        "Reporter REF\tvalue\tvalue\tvalue",
        "Gene\tnormalized\tnormalized\tnormalized",  # any first cell when the values are words
    ],
)
def test_mage_tab_second_header_line_is_skipped(tmp_path: Path, second_line: str):
    text = MATRIX.replace("\n", "\n" + second_line + "\n", 1)
    genes, _, values = read_processed_matrix(_write(tmp_path / "m.txt", text))
    assert genes == ["GENEA", "GENEB", "GENEC"]
    np.testing.assert_array_equal(values, EXPECTED_VALUES)


def test_a_gene_with_no_value_on_line_two_stays_a_gene(tmp_path: Path):
    text = MATRIX.replace("\n", "\nGENEZ\tNA\tnull\t\n", 1)  # missing values, not header words
    genes, _, values = read_processed_matrix(_write(tmp_path / "m.txt", text))
    assert genes == ["GENEZ", "GENEA", "GENEB", "GENEC"]
    assert np.isnan(values[:, 0]).all()


def test_gzip_crlf_and_quoted_fields_read_the_same(tmp_path: Path):
    quoted = "\n".join(
        "\t".join(f'"{field}"' for field in line.split("\t")) for line in MATRIX.splitlines()
    )
    path = tmp_path / "m.txt.gz"
    with gzip.open(path, "wt", newline="") as handle:
        handle.write(quoted.replace("\n", "\r\n") + "\r\n")
    genes, samples, values = read_processed_matrix(path)
    assert genes == ["GENEA", "GENEB", "GENEC"] and samples == ["S1", "S2", "S3"]
    np.testing.assert_array_equal(values, EXPECTED_VALUES)


def test_zip_member_for_a_text_file_is_refused(tmp_path: Path):
    path = _write(tmp_path / "m.txt", MATRIX)
    with pytest.raises(InputError, match="not a zip archive.*matrix_member") as error:
        read_processed_matrix(path, "m.txt")
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_duplicated_genes_keep_the_complete_row_with_the_highest_mean(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    text = MATRIX + "GENEA\t5\t5\t5\nGENEB\t1\t2\t1\nGENEA\t9\t9\tNA\n"
    with caplog.at_level("INFO", logger="deepmodules.data"):
        genes, _, values = read_processed_matrix(_write(tmp_path / "m.txt", text))
    assert genes == ["GENEC", "GENEA", "GENEB"]  # the kept rows, in file order
    np.testing.assert_array_equal(values[:, 2], [1, 2, 1])  # measured everywhere beats mean 5.06
    np.testing.assert_array_equal(values[:, 1], [5, 5, 5])  # mean 5 beats 2.25; 9 has a gap
    text = MATRIX + "GENEB\t1\tNA\t1\n"  # no complete row: the higher mean
    genes, _, values = read_processed_matrix(_write(tmp_path / "n.txt", text))
    np.testing.assert_array_equal(values[:, genes.index("GENEB")], [4, np.nan, 6.125])
    assert "2 genes are on more than one row (5 rows)" in caplog.text


def test_distinct_genes_are_not_collapsed(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level("INFO", logger="deepmodules.data"):
        genes, _, values = read_processed_matrix(_write(tmp_path / "m.txt", MATRIX))
    assert genes == ["GENEA", "GENEB", "GENEC"] and "more than one row" not in caplog.text


@pytest.mark.parametrize(
    ("gene_id", "expected"),
    [
        ("ENSG00000141510.16", "ENSG00000141510"),
        ("ENSG00000141510", "ENSG00000141510"),
        ("7157_at", "7157"),
        (" TP53 ", "TP53"),
        ("1007_s_at", "1007_s_at"),  # an Affymetrix probe set, not an Entrez id
        ("HLA-DRB1", "HLA-DRB1"),
    ],
)
def test_normalize_gene_id(gene_id: str, expected: str):
    assert identifiers.normalize_gene_id(gene_id) == expected


def test_gene_mapping_drops_ambiguous_ids(tmp_path: Path):
    table = _write(
        tmp_path / "map.tsv",
        "ensembl_gene_id\thgnc_symbol\tother\n"
        "ENSG00000141510.16\tTP53\tx\n"
        "ENSG00000141510\tTP53\tx\n"  # the same pair again: not ambiguous
        "ENSG00000000001\tA /// B\tx\n"  # several symbols
        "ENSG00000000002\tC\tx\nENSG00000000002\tD\tx\n"  # two symbols on two rows
        "ENSG00000000003\t\tx\n",  # no symbol
    )
    mapping, n_ambiguous = identifiers.read_gene_mapping(table, "ensembl_gene_id", "hgnc_symbol")
    assert mapping == {"ENSG00000141510": "TP53"} and n_ambiguous == 2
    with pytest.raises(InputError, match="missing column\\(s\\) 'entrez'.*gene_ids.from") as error:
        identifiers.read_gene_mapping(table, "entrez", "hgnc_symbol")
    assert str(table) in str(error.value)


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_gene_mapping_reads_a_geo_platform_table_below_its_description_lines(
    tmp_path: Path, suffix: str
):
    """GEO's platform tables (GPL570-55999.txt) open with `#` lines describing each column; a `#`
    inside a cell below the header is data."""
    text = (
        "#ID = Affymetrix probe set\n#Gene Symbol = HUGO symbol\n"
        "ID\tGene Title\tGene Symbol\n"
        "1007_s_at\tdiscoidin domain receptor #1\tDDR1\n1552256_a_at\treplication factor C\tRFC2\n"
    )
    path = tmp_path / f"GPL570{suffix}"
    if suffix.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    mapping, _ = identifiers.read_gene_mapping(path, "ID", "Gene Symbol")
    assert mapping == {"1007_s_at": "DDR1", "1552256_a_at": "RFC2"}


def test_identifier_share():
    assert (
        identifiers.looks_like_identifiers(["ENSG00000141510.16", "7157_at", "7157", "TP53"])
        == 0.75
    )
    assert identifiers.looks_like_identifiers(["TP53", "HLA-DRB1", "C1orf112", "SG00001"]) == 0.0


def test_missing_matrix_file_and_zip_member_are_input_errors(tmp_path: Path):
    missing = tmp_path / "absent.zip"
    with pytest.raises(InputError, match="file not found") as error:
        read_processed_matrix(missing, "m.txt")
    assert str(missing) in str(error.value)
    archive = _zip(tmp_path / "m.zip", {"a.txt": MATRIX, "b.txt": MATRIX})
    with pytest.raises(InputError, match="'m.txt' not found; members: a.txt, b.txt") as error:
        read_processed_matrix(archive, "m.txt")
    assert str(archive) in str(error.value)
    with pytest.raises(InputError, match="members: a.txt, b.txt"):
        read_processed_matrix(archive)


def test_sdrf_reads_every_column_as_text_and_names_missing_columns(tmp_path: Path):
    path = _write(
        tmp_path / "e.sdrf.txt",
        "Source Name\tCharacteristics[disease]\tAssay Name\nA\tNA\t001\nB\tnormal\t002\n",
    )
    sdrf = read_sdrf(path, ["Assay Name", "Characteristics[disease]"])
    assert sdrf["Assay Name"].tolist() == ["001", "002"]
    assert sdrf["Characteristics[disease]"].tolist() == ["NA", "normal"]
    with pytest.raises(
        InputError, match=r"missing column\(s\) 'Characteristics\[organism part\]'"
    ) as error:
        read_sdrf(path, ["Assay Name", "Characteristics[organism part]"])
    assert str(path) in str(error.value)
    with pytest.raises(InputError, match="file not found"):
        read_sdrf(tmp_path / "absent.txt", [])


def _archs4(
    path: Path, symbol_field: str = "symbol", chunks: tuple[int, int] = (4, 2)
) -> np.ndarray:
    """A small ARCHS4-style file: 4 genes × 6 samples, samples 1 and 4 single-cell."""
    counts = np.arange(24, dtype=np.uint32).reshape(4, 6) * 10
    with h5py.File(path, "w") as h5:
        h5.create_dataset("data/expression", data=counts, chunks=chunks)
        h5.create_dataset(f"meta/genes/{symbol_field}", data=[b"A", b"B", b"C", b"D"])
        meta = {
            "geo_accession": [f"GSM{i}".encode() for i in range(6)],
            "series_id": [b"GSE1"] * 3 + [b"GSE2"] * 3,
            "characteristics_ch1": [b"cell type: T cell,disease: asthma"] * 6,
            "source_name_ch1": [b"blood"] * 6,
            "title": [f"sample {i}".encode() for i in range(6)],
        }
        for field, values in meta.items():
            h5.create_dataset(f"meta/samples/{field}", data=values)
        probability = [0.0, 0.9, 0.1, 0.49, 0.5, 0.2]
        h5.create_dataset("meta/samples/singlecellprobability", data=probability)
    return counts


@pytest.mark.parametrize("symbol_field", ["symbol", "gene_symbol"])
def test_archs4_drops_single_cell_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, symbol_field: str
):
    counts = _archs4(tmp_path / "a.h5", symbol_field)
    monkeypatch.setattr(sources, "BLOCK_VALUES", 8)  # one chunk (2 columns) per block
    genes, meta, values = read_archs4(tmp_path / "a.h5", 0.5)
    assert genes == ["A", "B", "C", "D"]
    assert meta["geo_accession"].tolist() == ["GSM0", "GSM2", "GSM3", "GSM5"]
    assert meta["series_id"].tolist() == ["GSE1", "GSE1", "GSE2", "GSE2"]
    assert parse_characteristics(meta["characteristics_ch1"][0]) == {
        "cell type": "T cell",
        "disease": "asthma",
    }
    assert values.dtype == np.uint32
    np.testing.assert_array_equal(values, counts[:, [0, 2, 3, 5]].T)


def test_archs4_selects_requested_samples_in_order(tmp_path: Path):
    counts = _archs4(tmp_path / "a.h5", chunks=(2, 3))
    _, meta, values = read_archs4(tmp_path / "a.h5", 0.5, samples=["GSM5", "GSM1", "GSM0"])
    assert meta["geo_accession"].tolist() == ["GSM5", "GSM0"]
    np.testing.assert_array_equal(values, counts[:, [5, 0]].T)
    _, meta, _ = read_archs4(tmp_path / "a.h5", single_cell_threshold=1.0, samples=["GSM1"])
    assert meta["geo_accession"].tolist() == ["GSM1"]


def test_archs4_errors_name_the_file(tmp_path: Path):
    path = tmp_path / "a.h5"
    _archs4(path)
    with pytest.raises(InputError, match="requested samples not in the file, e.g. GSM9") as error:
        read_archs4(path, 0.5, samples=["GSM0", "GSM9"])
    assert str(path) in str(error.value)
    with h5py.File(path, "a") as h5:
        del h5["meta/samples/series_id"]
    with pytest.raises(InputError, match="missing datasets meta/samples/series_id"):
        read_archs4(path, 0.5)
    with pytest.raises(InputError, match="file not found"):
        read_archs4(tmp_path / "absent.h5", 0.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cell type: T-cell,disease: asthma", {"cell type": "T-cell", "disease": "asthma"}),
        (" Cell Type : monocyte , AGE: 42", {"cell type": "monocyte", "age": "42"}),
        ("treatment: IL-4, IL-13,time: 2h", {"treatment": "IL-4, IL-13", "time": "2h"}),
        ("", {}),
    ],
)
def test_parse_characteristics(text: str, expected: dict[str, str]):
    assert parse_characteristics(text) == expected


GEO_SERIES_MATRIX = (
    '!Series_title\t"Bladder carcinoma arrays"\n'
    '!Series_geo_accession\t"GSE0"\n'
    "\n"
    '!Sample_title\t"tumour 1"\t"normal 1"\n'
    '!Sample_characteristics_ch1\t"disease: carcinoma"\t"disease: normal"\n'
    "!series_matrix_table_begin\n"
    '"ID_REF"\t"GSM1"\t"GSM2"\n'
    '"1007_s_at"\t10.5\t9.75\n'
    '"1053_at"\t7.25\t6\n'
    "!series_matrix_table_end\n"
)


def test_a_geo_series_matrix_is_read_as_downloaded(tmp_path: Path):
    """A gzipped GSE…_series_matrix.txt.gz: its `!` description lines, the blank line among them and
    the table's end marker are not read; the quoted header and ids are; a ragged row is named by
    its line in the file."""
    path = tmp_path / "GSE0_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(GEO_SERIES_MATRIX.encode()))
    genes, samples, values = read_processed_matrix(path)
    assert genes == ["1007_s_at", "1053_at"] and samples == ["GSM1", "GSM2"]
    np.testing.assert_array_equal(values, np.array([[10.5, 7.25], [9.75, 6]], dtype=np.float32))
    assert sources.read_matrix_head(path) == (["1007_s_at", "1053_at"], ["GSM1", "GSM2"])
    ragged = tmp_path / "ragged.txt"
    ragged.write_text(GEO_SERIES_MATRIX.replace("\t6\n", "\n"))
    with pytest.raises(InputError, match="line 9 has 2 fields, line 8 has 3"):
        read_processed_matrix(ragged)


def test_a_comma_separated_matrix_reads_as_its_tab_separated_twin(tmp_path: Path):
    """A supplementary table written as CSV (quoted header, a quoted id holding a comma, CRLF line
    ends, gzipped) gives what the same table tab-separated gives; a ragged CSV row is named."""
    tabbed = _write(tmp_path / "m.txt", MATRIX)
    csv_text = '"",S1,S2,S3\r\nGENEA,1.5,2.25,3\r\nGENEB,4,null,6.125\r\n"GENE,C",7,8,NA\r\n'
    path = tmp_path / "m.csv.gz"
    path.write_bytes(gzip.compress(csv_text.encode()))
    genes, samples, values = read_processed_matrix(path)
    expected = read_processed_matrix(tabbed)
    assert genes == ["GENEA", "GENEB", "GENE,C"] and samples == expected[1]
    np.testing.assert_array_equal(values, expected[2])
    assert sources.read_matrix_head(path) == (genes, samples)
    (tmp_path / "ragged.csv").write_text("gene,S1,S2\nA,1,2\nB,3\n")
    with pytest.raises(InputError, match="line 3 has 2 fields, line 2 has 3"):
        read_processed_matrix(tmp_path / "ragged.csv")


def test_a_counts_table_with_comment_lines_and_annotation_columns_reads_its_samples(
    tmp_path: Path,
):
    """featureCounts' output: a `# Program:` line above the header, and Chr/Start/End/Strand/Length
    columns before the samples. The comment is skipped; the annotation columns are read as columns
    (text ones hold no number) that a sample sheet does not select. A `#` header with tabs stays."""
    text = (
        '# Program:featureCounts v2.0.3; Command:"featureCounts" "-a" "genes.gtf"\n'
        "Geneid\tChr\tStart\tEnd\tStrand\tLength\tS1.bam\tS2.bam\n"
        "GENEA\tchr1;chr1\t11\t20\t+;+\t10\t5\t7\nGENEB\tchr2\t31\t40\t-\t10\t0\t3\n"
    )
    genes, samples, values = read_processed_matrix(_write(tmp_path / "counts.txt", text))
    assert (
        genes == ["GENEA", "GENEB"] and samples[0] == "Chr" and samples[-2:] == ["S1.bam", "S2.bam"]
    )
    np.testing.assert_array_equal(values[-2:], [[5, 0], [7, 3]])
    assert np.isnan(values[0]).all()
    hashed = "#gene\tS1\tS2\nGENEA\t1\t2\n"
    assert read_processed_matrix(_write(tmp_path / "h.txt", hashed))[1] == ["S1", "S2"]
    hashed = "# written by a tool, v1\n#gene,S1,S2\nGENEA,1,2\n"
    assert read_processed_matrix(_write(tmp_path / "h.csv", hashed))[1] == ["S1", "S2"]


def test_a_workbook_or_a_table_in_another_encoding_is_named_as_such(tmp_path: Path):
    """A spreadsheet workbook (zip data) given as the matrix, and a table saved in Latin-1, are
    named in one line with what they hold, not a decoding traceback."""
    workbook = tmp_path / "counts.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "\x00\xff" * 100)
    with pytest.raises(InputError, match=r"counts.xlsx: holds zip data, not text .*Excel"):
        read_processed_matrix(workbook)
    latin1 = tmp_path / "m.txt"
    latin1.write_bytes(MATRIX.replace("GENEA", "G\u00c9NEA").encode("latin-1"))
    with pytest.raises(InputError, match=r"m.txt: is not UTF-8 text \(.*0xc9\)\. Fix: save"):
        read_processed_matrix(latin1)


def test_a_geo_series_matrix_without_table_rows_says_where_the_counts_are(tmp_path: Path):
    """An RNA-seq series' matrix: a header and no rows; the error says so and what to give instead,
    where a plain matrix without rows keeps the plain message."""
    lines = GEO_SERIES_MATRIX.splitlines(keepends=True)
    empty = "".join(line for line in lines if not line.startswith('"10'))
    path = _write(tmp_path / "GSE1_series_matrix.txt", empty)
    assert textfiles.is_series_matrix(path)
    with pytest.raises(InputError, match="table has no rows .*supplementary.*values: counts"):
        read_processed_matrix(path)
    with pytest.raises(InputError, match="no gene rows after the header"):
        read_processed_matrix(_write(tmp_path / "plain.txt", "Gene\tS1\n"))
    assert not textfiles.is_series_matrix(tmp_path / "plain.txt")
