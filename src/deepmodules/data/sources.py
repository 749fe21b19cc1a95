"""Readers of the raw expression sources: the E-MTAB-3732 processed matrix (or a GEO series matrix)
and SDRF, and ARCHS4 (gene identifiers are mapped to symbols by :mod:`deepmodules.data.identifiers`;
GEO sample fields are read by :mod:`deepmodules.data.series`).

Every reader streams its input in blocks so that memory stays close to the size of the array it
returns, and reports bad input as an :class:`~deepmodules.errors.InputError` naming the file.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import closing
from itertools import islice
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from deepmodules.data.identifiers import collapse_duplicate_genes
from deepmodules.data.tables import line_delimiter, read_table
from deepmodules.data.textfiles import is_series_matrix, text_lines
from deepmodules.errors import InputError, readable, require_file

log = logging.getLogger(__name__)

SERIES_SEPARATOR = re.compile(r"[,;\s]+")  # between the series of one series_id field

# MAGE-TAB data matrices may carry a second header line naming the quantitation type.
QUANTITATION_HEADERS = ("CompositeElement REF", "Composite Element REF", "Reporter REF")
# Cells that mean "no value" rather than a word of a header line (compared in lower case).
MISSING_VALUE_WORDS = frozenset({"", "na", "nan", "null", "n/a", "none", "-"})
# Values parsed per block of the processed matrix (rows are sized to hold about this many).
BLOCK_VALUES = 4_000_000
ARCHS4_SAMPLE_FIELDS = (
    "geo_accession",
    "series_id",
    "singlecellprobability",
    "characteristics_ch1",
    "source_name_ch1",
    "title",
)
ARCHS4_SYMBOL_FIELDS = ("meta/genes/symbol", "meta/genes/gene_symbol")


def _fields(line: str, delimiter: str = "\t") -> list[str]:
    """The fields of a line, double quotes around a field removed."""
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [""])


def _width(line: str, delimiter: str) -> int:
    """The number of fields of a line: tabs counted (a quoted field may not hold one), commas parsed."""
    return line.count("\t") + 1 if delimiter == "\t" else len(_fields(line, delimiter))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_quantitation_line(fields: list[str]) -> bool:
    """A MAGE-TAB second header line: a known name first, or words (not numbers) as values.

    Values that only say "missing" (NA, null, empty) do not make a header: a gene measured in no
    sample stays a gene.
    """
    values = fields[1:]
    if fields[0] in QUANTITATION_HEADERS:
        return True
    return (
        bool(values)
        and not any(_is_number(v) for v in values)
        and any(v.strip().lower() not in MISSING_VALUE_WORDS for v in values)
    )


def _table_lines(path: Path, member: str | None) -> Iterator[tuple[int, str]]:
    """(line number, line) of a matrix file's table: every line but blank ones, those of a GEO
    series matrix's description (``!Series_title …``, ``!series_matrix_table_begin`` … ``_end``),
    which start with ``!``, and comment lines above the header (``# Program:featureCounts …``):
    lines before the first table line that start with ``#`` and hold no tab and no comma, or start
    with ``# `` (``#gene<TAB>S1…`` and ``#gene,S1,…`` are headers)."""
    above_header = True
    for number, line in text_lines(path, member):
        if not line.strip() or line.startswith("!"):
            continue
        if (
            above_header
            and line.startswith("#")
            and "\t" not in line
            and ("," not in line or line.startswith("# "))
        ):
            continue
        above_header = False
        yield number, line


def _matrix_layout(
    path: Path, member: str | None, max_rows: int | None = None
) -> tuple[list[str], int, int, str]:
    """Check the header and row widths; return the samples, header line count, gene count and the
    delimiter: a tab, or a comma where the header has commas and no tab (a CSV table, as many
    supplementary files of GEO series are).

    ``max_rows`` stops after that many gene rows (a check of the file's head).

    The lines are those of :func:`_table_lines`. The header names the samples, after a first cell
    that names the gene column (any text, such as ``Hybridization REF``, ``ID_REF``, ``Gene`` or
    nothing) or without that cell (a header one field shorter than the rows). A second header line
    with words instead of values (MAGE-TAB's quantitation types, e.g. ``Composite Element REF``) is
    skipped. Every data row must have the width of the first one.
    """
    with closing(_table_lines(path, member)) as lines:
        _, first = next(lines, (0, ""))
        if not first:
            raise InputError(
                path,
                "has no line besides blank ones and `!` lines; expected sample names",
                "pass a processed matrix with samples as columns and genes as rows",
            )
        delimiter = line_delimiter(first)
        header = _fields(first, delimiter)
        samples, width, first_row = None, None, None
        n_header, n_genes = 1, 0
        for line_number, line in lines:
            n_fields = _width(line, delimiter)
            if samples is None:
                if n_header == 1 and _is_quantitation_line(fields := _fields(line, delimiter)):
                    log.info(
                        "%s: line %d (%s) read as a second header line",
                        path,
                        line_number,
                        fields[:2],
                    )
                    n_header = 2
                    continue
                if n_fields == len(header):
                    samples = header[1:]
                elif n_fields == len(header) + 1:
                    samples = header
                else:
                    raise InputError(
                        path,
                        f"line {line_number} has {n_fields} fields, the header has {len(header)}",
                        "repair the truncated or ragged row (one gene name and one value per sample)",
                    )
                width, first_row = n_fields, line_number
            elif n_fields != width:
                raise InputError(
                    path,
                    f"line {line_number} has {n_fields} fields, line {first_row} has {width}",
                    "repair the truncated or ragged row (one gene name and one value per sample)",
                )
            n_genes += 1
            if n_genes == max_rows:
                break
    if samples is None and is_series_matrix(path):
        raise InputError(
            path,
            "this GEO series matrix's table has no rows (GEO keeps an RNA-seq series' counts in "
            "its supplementary files)",
            "give the counts table as the matrix (values: counts) and this file as its "
            "annotation (with group_by), or a sample sheet (samples)",
        )
    if not samples:
        raise InputError(
            path,
            "no sample columns" if samples is not None else "no gene rows after the header",
            "pass a processed matrix with samples as columns and genes as rows",
        )
    duplicated = pd.Index(samples)[pd.Index(samples).duplicated()].unique()
    if len(duplicated):
        raise InputError(
            path,
            f"{len(duplicated)} duplicated sample names, e.g. {', '.join(duplicated[:5])}",
            "give every column a unique sample name",
        )
    return samples, n_header, n_genes, delimiter


def read_matrix_head(
    path: str | Path, member: str | None = None, n_rows: int = 2000
) -> tuple[list[str], list[str]]:
    """The row ids of the first ``n_rows`` rows and the sample names of a processed matrix.

    The header and the widths of those rows are checked as by :func:`read_processed_matrix`.
    """
    path = Path(path)
    samples, n_header, n_ids, delimiter = _matrix_layout(path, member, max_rows=n_rows)
    with closing(_table_lines(path, member)) as lines:
        ids = [
            _fields(line, delimiter)[0].strip()
            for _, line in islice(lines, n_header, n_header + n_ids)
        ]
    return ids, samples


def read_processed_matrix(
    path: str | Path, member: str | None = None
) -> tuple[list[str], list[str], np.ndarray]:
    """Read an ArrayExpress processed data matrix (genes as rows, samples as columns).

    The first line holds the sample names (see :func:`_matrix_layout` for the header variants);
    each further line is a gene followed by one value per sample. Blank lines and ``!`` lines are
    not read, so a GEO series matrix (``GSE…_series_matrix.txt.gz``) is read as downloaded.
    ``path`` is a text file, a gzipped text file (``.gz``) or a zip archive holding it (``member``
    names the file inside; it may be omitted when the archive holds one file). Fields are
    tab-separated, or comma-separated (CSV, told by its header), and may be double-quoted (a quoted
    field may not hold a tab); line ends may be LF or CRLF. The file is read twice as a stream: once to
    check its shape, once to parse it block by block into a preallocated array. Non-numeric values
    become NaN. A gene on several rows keeps one, by :func:`collapse_duplicate_genes`.

    Returns ``(genes, samples, values)`` with ``values`` float32 of shape samples × genes.
    """
    path = Path(path)
    samples, n_header, n_genes, delimiter = _matrix_layout(path, member)
    values = np.empty((len(samples), n_genes), dtype=np.float32)
    genes: list[str] = []
    has_number = False
    rows_per_block = max(1, BLOCK_VALUES // len(samples))
    with closing(_table_lines(path, member)) as numbered:
        lines = (line for _, line in islice(numbered, n_header, None))
        while block := list(islice(lines, rows_per_block)):
            frame = pd.read_csv(
                io.StringIO("".join(block)),
                sep=delimiter,
                header=None,
                dtype={0: str},
                keep_default_na=False,
            )
            numbers = frame.iloc[:, 1:]
            text_columns = [c for c in numbers.columns if not is_numeric_dtype(numbers[c])]
            if text_columns:
                numbers = numbers.copy()
                numbers[text_columns] = numbers[text_columns].apply(pd.to_numeric, errors="coerce")
            block_values = numbers.to_numpy(np.float32).T
            has_number = has_number or not np.isnan(block_values).all()
            values[:, len(genes) : len(genes) + len(frame)] = block_values
            genes.extend(frame.iloc[:, 0].str.strip())
    if not has_number:
        raise InputError(
            path,
            "no value of the matrix is a number",
            "pass the processed data matrix (numbers per gene and sample), not an annotation file",
        )
    genes, values = collapse_duplicate_genes(genes, values, path)
    return genes, samples, values


def read_sdrf(path: str | Path, required_columns: Sequence[str]) -> pd.DataFrame:
    """Read a MAGE-TAB sample and data relationship file (tab-separated) with every column as str."""
    return read_table(
        path,
        required_columns,
        "sample table",
        "pass the SDRF of the experiment, or adjust the column names in the config",
    )


def _strings(dataset: h5py.Dataset) -> list[str]:
    """Decode an HDF5 string dataset (stored as bytes) into Python strings."""
    return dataset.asstr()[()].tolist()


def read_archs4(
    path: str | Path,
    single_cell_threshold: float,
    samples: Sequence[str] | None = None,
) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """Read bulk RNA-seq gene counts from an ARCHS4 gene-level HDF5 file.

    Samples whose predicted single-cell probability is at least ``single_cell_threshold`` are dropped,
    as ARCHS4 recommends for bulk analyses. ``samples`` (GEO accessions) restricts the result to
    those samples, in that order. Counts are read in column blocks aligned to the HDF5 chunks.

    Returns ``(genes, sample_meta, counts)``: the gene symbols, one metadata row per kept sample
    (``ARCHS4_SAMPLE_FIELDS``), and uint32 counts of shape samples × genes.
    """
    path = Path(path)
    require_file(path)
    with readable(path), h5py.File(path, "r") as h5:
        genes, meta = _archs4_metadata(h5, path)
        keep = meta["singlecellprobability"].to_numpy() < single_cell_threshold
        if samples is not None:
            position = pd.Series(np.arange(len(meta)), index=meta["geo_accession"])
            absent = [s for s in samples if s not in position.index]
            if absent:
                raise InputError(
                    path,
                    f"{len(absent)} requested samples not in the file, e.g. {', '.join(absent[:5])}",
                    "request GEO accessions (GSM…) present in this ARCHS4 version",
                )
            order = position[list(samples)].to_numpy()
            order = order[keep[order]]
        else:
            order = np.flatnonzero(keep)
        counts = _read_columns(h5["data/expression"], order)
    return genes, meta.iloc[order].reset_index(drop=True), counts


def read_archs4_metadata(
    path: str | Path, single_cell_threshold: float
) -> tuple[list[str], pd.DataFrame]:
    """The gene symbols and the metadata of the bulk samples of an ARCHS4 file, without its counts.

    Samples are kept as by :func:`read_archs4`.
    """
    path = Path(path)
    require_file(path)
    with readable(path), h5py.File(path, "r") as h5:
        genes, meta = _archs4_metadata(h5, path)
    keep = meta["singlecellprobability"].to_numpy() < single_cell_threshold
    return genes, meta[keep].reset_index(drop=True)


def _archs4_metadata(h5: h5py.File, path: Path) -> tuple[list[str], pd.DataFrame]:
    """The gene symbols and the ``ARCHS4_SAMPLE_FIELDS`` of every sample; required datasets checked."""
    symbol_field = next((f for f in ARCHS4_SYMBOL_FIELDS if f in h5), None)
    missing = [f"meta/samples/{f}" for f in ARCHS4_SAMPLE_FIELDS if f"meta/samples/{f}" not in h5]
    if symbol_field is None:
        missing.append(" or ".join(ARCHS4_SYMBOL_FIELDS))
    if "data/expression" not in h5:
        missing.append("data/expression")
    if missing:
        raise InputError(
            path,
            f"missing datasets {', '.join(missing)}",
            "pass an ARCHS4 human gene-level HDF5 file (version 2)",
        )
    genes = _strings(h5[symbol_field])
    meta = pd.DataFrame(
        {
            field: h5[f"meta/samples/{field}"][()]
            if field == "singlecellprobability"
            else _strings(h5[f"meta/samples/{field}"])
            for field in ARCHS4_SAMPLE_FIELDS
        }
    )
    return genes, meta


def _read_columns(expression: h5py.Dataset, columns: np.ndarray) -> np.ndarray:
    """Gather the given columns of a genes × samples dataset as a samples × genes uint32 array."""
    counts = np.empty((len(columns), expression.shape[0]), dtype=np.uint32)
    if len(columns) == 0:
        return counts
    block = expression.chunks[1] if expression.chunks else 256
    block *= max(1, BLOCK_VALUES // (block * expression.shape[0]))
    first_block = columns // block
    for start_block in np.unique(first_block):
        start = start_block * block
        stop = min(start + block, expression.shape[1])
        rows = np.flatnonzero(first_block == start_block)
        counts[rows] = expression[:, start:stop][:, columns[rows] - start].T
    return counts


def series_ids(text: str) -> list[str]:
    """The GEO series of an ARCHS4 ``series_id`` field, which may list several (``GSE1,GSE2``)."""
    return [s for s in SERIES_SEPARATOR.split(text) if s]
