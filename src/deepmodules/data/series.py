"""GEO series inside an ARCHS4 file or in a GEO series matrix: their samples, their groups and their
counts.

The paper's RNA-seq disease modules came from GEO series (asthma GSE75011, Crohn's disease and
ulcerative colitis GSE112057, obesity GSE65540) projected through the ARCHS4 autoencoder. A series is
found by ``meta/samples/series_id`` (a sample of several series lists them comma-separated, and belongs
to each); its samples become groups by a rule of the configuration (``external.*.group_by``): a
``characteristics_ch1`` key (:func:`parse_characteristics`) with a value →
group mapping, or regular expressions on ``title`` or ``source_name_ch1``. Only the series' columns of
``data/expression`` are read (:func:`~deepmodules.data.sources.read_archs4` with its samples). A
series matrix (``GSE…_series_matrix.txt.gz``) describes its samples in ``!Sample_`` lines, read into
the same fields (:func:`read_series_matrix_samples`), so that the same rules group them.

The official ``archs4py`` package is not used: its series lookup compares the whole ``series_id`` field
with the id (missing samples of several series), it reads a series' counts one sample at a time in a
pool of 16 processes, and importing it needs ``s3fs``, ``biomart`` and ``xalign`` (docs/real-data.md).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from contextlib import closing

import pandas as pd

from deepmodules.data import sources, textfiles
from deepmodules.errors import InputError

# The !Sample_ lines of a GEO series matrix read as the fields of ARCHS4's sample metadata.
SERIES_MATRIX_FIELDS = {
    "!Sample_geo_accession": "geo_accession",
    "!Sample_title": "title",
    "!Sample_source_name_ch1": "source_name_ch1",
    "!Sample_characteristics_ch1": "characteristics_ch1",
    "!Sample_description": "description",
}


def read_series_matrix_samples(path: str | os.PathLike) -> pd.DataFrame:
    """The samples of a GEO series matrix (``GSE…_series_matrix.txt.gz``) as its ``!Sample_`` lines
    describe them, in the columns of ARCHS4's sample metadata: ``geo_accession`` (the table's column
    names), ``title``, ``source_name_ch1``, ``description`` (its first line: often the sample's
    column name in the series' supplementary files), ``characteristics_ch1``, whose several lines
    (one per ``key: value`` kind) are joined by commas as ARCHS4 joins them, for
    :func:`parse_characteristics`, and ``series_id`` (the series' ``!Series_geo_accession``).
    """
    lines: dict[str, list[tuple[int, list[str]]]] = {}
    series_id = ""
    for number, name, fields in description_lines(path):
        if name == "!Series_geo_accession" and fields:
            series_id = fields[0]
        if name in SERIES_MATRIX_FIELDS:
            lines.setdefault(SERIES_MATRIX_FIELDS[name], []).append((number, fields))
    if "geo_accession" not in lines:
        raise InputError(
            path,
            "has no !Sample_geo_accession line, so it names no GEO samples to group",
            "give the GEO series matrix as downloaded (GSE…_series_matrix.txt.gz), or a sample sheet "
            "(external.*.samples) instead of group_by",
        )
    accessions = lines["geo_accession"][0][1]
    for column, rows in lines.items():
        for number, values in rows:
            if len(values) != len(accessions):
                raise InputError(
                    path,
                    f"line {number} (!Sample_{column}) has {len(values)} values for "
                    f"{len(accessions)} samples",
                    "give the GEO series matrix as downloaded",
                )
    table = {"geo_accession": accessions}
    for column in ("title", "source_name_ch1", "description"):
        table[column] = lines[column][0][1] if column in lines else [""] * len(accessions)
    kinds = [values for _, values in lines.get("characteristics_ch1", [])]
    table["characteristics_ch1"] = [
        ",".join(kind[i] for kind in kinds if kind[i].strip()) for i in range(len(accessions))
    ]
    return pd.DataFrame(table).assign(series_id=series_id)


def description_lines(path: str | os.PathLike) -> Iterator[tuple[int, str, list[str]]]:
    """(line number, name, fields) of the ``!`` lines above a GEO series matrix's table (plain,
    gzipped or in a zip, :func:`~deepmodules.data.textfiles.text_lines`), fields unquoted."""
    with closing(textfiles.text_lines(path, errors="replace")) as lines:
        for number, line in lines:
            if line.startswith("!series_matrix_table_begin") or not line.startswith(
                ("!", "\n", "\r")
            ):
                return
            name, _, values = line.rstrip("\r\n").partition("\t")
            yield number, name, next(csv.reader([values], delimiter="\t"), [])


def parse_characteristics(text: str) -> dict[str, str]:
    """Parse a GEO ``characteristics_ch1`` string such as ``cell type: T-cell,disease: asthma``.

    Pairs are ``key: value`` separated by commas; keys are lower-cased and stripped. A comma-separated
    piece without a colon belongs to the previous value (``treatment: IL-4, IL-13``).
    """
    parsed: dict[str, str] = {}
    key = None
    for piece in text.split(","):
        name, colon, value = piece.partition(":")
        if colon:
            key = name.strip().lower()
            parsed[key] = value.strip()
        elif key is not None and piece.strip():
            parsed[key] = f"{parsed[key]}, {piece.strip()}"
    return parsed


def in_series(meta: pd.DataFrame, series: str) -> pd.Series:
    """Which rows of ARCHS4 sample metadata belong to ``series`` (``series_id`` may list several)."""
    return meta["series_id"].map(lambda ids: series in sources.series_ids(ids))


def series_metadata(
    path: str, series: str, single_cell_threshold: float, where: str
) -> pd.DataFrame:
    """The metadata rows (``ARCHS4_SAMPLE_FIELDS``) of the bulk samples of one series, in file order.

    A series without bulk samples in the file is an :class:`InputError` naming ``where``.
    """
    _, meta = sources.read_archs4_metadata(path, single_cell_threshold)
    meta = meta[in_series(meta, series)].reset_index(drop=True)
    if meta.empty:
        raise InputError(
            where,
            f"series {series} has no bulk samples in {path}",
            "check the GEO series id (GSE…) and that this ARCHS4 version holds its samples",
        )
    return meta


def characteristics(meta: pd.DataFrame) -> pd.DataFrame:
    """One column per ``characteristics_ch1`` key of the samples (empty where a sample lacks it)."""
    parsed = pd.DataFrame([parse_characteristics(t) for t in meta["characteristics_ch1"]])
    return parsed.reindex(index=range(len(meta))).fillna("")


def assign_groups(meta: pd.DataFrame, group_by: dict) -> pd.Series:
    """The group of each sample under a grouping rule, None where the rule names none.

    Characteristic values are compared stripped and in lower case; patterns are searched
    case-insensitively in their field, the first pattern that matches giving the group.
    """
    if "characteristic" in group_by:
        values = characteristics(meta).get(group_by["characteristic"].strip().lower())
        if values is None:
            return pd.Series([None] * len(meta), dtype=object)
        mapping = {value.strip().lower(): group for value, group in group_by["values"].items()}
        return values.map(lambda value: mapping.get(value.strip().lower())).astype(object)
    patterns = [
        (re.compile(pattern, re.IGNORECASE), group)
        for pattern, group in group_by["patterns"].items()
    ]
    return meta[group_by["field"]].map(
        lambda text: next((group for regex, group in patterns if regex.search(text)), None)
    )


def series_sheet(meta: pd.DataFrame, group_by: dict, where: str) -> pd.DataFrame:
    """The sample sheet (columns sample, group) of a series' grouped samples, in file order.

    An unknown characteristic key or an invalid regular expression is an :class:`InputError` naming
    ``where`` (the config key of the rule) and the keys the series has.
    """
    if "characteristic" in group_by:
        key = group_by["characteristic"].strip().lower()
        keys = list(characteristics(meta).columns)
        if key not in keys:
            raise InputError(
                f"{where}.characteristic",
                f"no sample of the series has characteristic {key!r}; keys here: "
                f"{', '.join(keys) or '(none)'}",
                "name one of these keys (snakemake list_series_groups lists their values)",
            )
    else:
        for pattern in group_by["patterns"]:
            try:
                re.compile(pattern)
            except re.error as error:
                raise InputError(
                    f"{where}.patterns",
                    f"{pattern!r} is not a regular expression ({error})",
                    "write the pattern in Python's regular-expression syntax",
                ) from None
    groups = assign_groups(meta, group_by)
    keep = groups.notna().to_numpy()
    return pd.DataFrame({"sample": meta["geo_accession"][keep], "group": groups[keep]}).reset_index(
        drop=True
    )


def series_listing(meta: pd.DataFrame, group_by: dict) -> pd.DataFrame:
    """A series' samples for writing a grouping rule: their fields, characteristics and group."""
    table = meta[["geo_accession", "title", "source_name_ch1"]].reset_index(drop=True)
    table = pd.concat([table, characteristics(meta)], axis=1)
    try:
        groups = assign_groups(meta, group_by)
    except re.error:
        groups = pd.Series([None] * len(meta), dtype=object)
    return table.assign(group=groups.fillna("").to_numpy())
