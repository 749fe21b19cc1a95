"""The sample annotation of a compendium: for every sample of the matrix, its cell type or tissue,
disease and study (``ANNOTATION``), from an SDRF, a GEO series matrix's ``!Sample_`` lines or
ARCHS4's sample metadata, and the diseases the annotation lets a compendium analyse
(:func:`check_diseases`)."""

from __future__ import annotations

import logging

import pandas as pd

from deepmodules.data import series, sources, textfiles
from deepmodules.errors import InputError

log = logging.getLogger(__name__)

ANNOTATION = ["sample", "cell_type", "disease", "study"]


def emtab_annotation(spec: dict, names: list[str]) -> pd.DataFrame:
    """The SDRF rows of the matrix's samples ``names``, in their order (one row per sample)."""
    columns = spec["columns"]
    if not spec.get("annotation"):
        raise InputError(
            "config: datasets.*.annotation", "emtab datasets need an SDRF", "set its path"
        )
    if textfiles.is_series_matrix(spec["annotation"]):
        sdrf = field_annotation(
            columns,
            series.read_series_matrix_samples(spec["annotation"]),
            spec["annotation"],
            "set datasets.*.columns to geo_accession, title, source_name_ch1, series_id or keys "
            "of the !Sample_characteristics_ch1 lines",
        )
    else:
        sdrf = sources.read_sdrf(spec["annotation"], required_columns=list(columns.values()))
    sdrf = sdrf.drop_duplicates(columns["sample"]).set_index(columns["sample"])
    missing = [n for n in names if n not in sdrf.index]
    if missing:
        raise InputError(
            spec["annotation"],
            f"{len(missing)} of {len(names)} matrix columns have no row in column "
            f"{columns['sample']!r} (e.g. {', '.join(missing[:3])})",
            "point datasets.*.columns.sample at the SDRF column that holds the matrix's sample names",
        )
    n_unused = len(sdrf.index.difference(names))
    if n_unused:
        log.info(
            "%s: %d SDRF samples are not columns of the matrix and are left out",
            spec["annotation"],
            n_unused,
        )
    return sdrf.loc[names].reset_index()


def archs4_annotation(spec: dict, meta: pd.DataFrame) -> pd.DataFrame:
    """The ``columns`` of an ARCHS4 dataset's samples (``meta``: its ``meta/samples``), by
    :func:`field_annotation`."""
    fix = "set datasets.*.columns to fields of meta/samples or keys of characteristics_ch1"
    return field_annotation(spec["columns"], meta, spec["matrix"], fix)


def field_annotation(columns: dict, meta: pd.DataFrame, where: str, fix: str) -> pd.DataFrame:
    """The ``columns`` of GEO samples (one row per sample) from their fields (``meta``: ARCHS4's
    ``meta/samples``, or a series matrix's ``!Sample_`` lines), or else keys of their
    ``characteristics_ch1`` in any letter case (``Sex`` is ``sex: male``, as the series grouping
    reads them), parsed without holding every sample's pairs. ``where`` names the file, ``fix`` the
    remedy for a column that is neither."""
    wanted = list(dict.fromkeys(columns.values()))
    table = {c: meta[c].to_numpy() for c in wanted if c in meta.columns}
    keys = [c for c in wanted if c not in table]
    parsed: dict[str, list] = {key: [] for key in keys}
    for text in meta["characteristics_ch1"] if keys else ():
        pairs = series.parse_characteristics(text)
        for key in keys:
            parsed[key].append(pairs.get(key.strip().lower()))
    absent = [key for key in keys if all(v is None for v in parsed[key])]
    if absent:
        raise InputError(
            where,
            f"no sample field or characteristic named {absent} (characteristic keys are matched "
            "in any letter case)",
            fix,
        )
    return pd.DataFrame({**table, **parsed})


def annotation_columns(table: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """The ``ANNOTATION`` columns (sample, cell type, disease, study) of a source's sample table;
    all but the sample as categories (few labels repeated over many samples)."""
    annotation = pd.DataFrame(
        {key: table[column].fillna("").astype(str).to_numpy() for key, column in columns.items()}
    )
    return annotation[ANNOTATION].astype({key: "category" for key in ANNOTATION[1:]})


def check_diseases(
    annotation: pd.DataFrame, diseases: dict, min_cases: int, where: str
) -> dict[str, str]:
    """Which configured diseases this compendium can analyse; the others, by id, with the reason.

    A configured label that no sample carries is a configuration error (a compendium cannot tell a
    disease it lacks from a misspelt label): it stops, naming the annotation's labels, or the label
    that matches it up to case, spaces or underscores. Fewer than ``min_cases`` samples is a property
    of the data: the disease is skipped in this compendium (logged, and recorded downstream as its
    module's status).
    """
    counts = annotation["disease"].value_counts()

    def spelling(label: str) -> str:
        return " ".join(label.replace("_", " ").casefold().split())

    spelt = {spelling(label): label for label in counts.index}
    skipped = {}
    for disease_id, disease in diseases.items():
        label = disease["label"]
        n = int(counts.get(label, 0))
        if n == 0:
            known = ", ".join(sorted(counts.index)[:10])
            fix = f"correct diseases.{disease_id}.label or remove the disease from the config"
            if spelling(label) in spelt:
                fix = f"set diseases.{disease_id}.label to {spelt[spelling(label)]!r}"
            raise InputError(
                where,
                f"disease {disease_id!r} (label {label!r}) has no samples; labels here: {known}",
                fix,
            )
        if n < min_cases:
            skipped[disease_id] = f"{n} cases, fewer than min_cases = {min_cases}"
            log.warning("disease %r is skipped in %s: %s", disease_id, where, skipped[disease_id])
    return skipped
