"""An external expression dataset read and put on its compendium's scale (the paper's multiple
sclerosis analysis; ``external:`` in the config).

A dataset of cases, controls and possibly another disease group, measured on the compendium's
platform, is read with its sample sheet (or, for a GEO series of the ARCHS4 file or a GEO series
matrix, grouped by its samples' fields), put on the compendium's log scale (raw RNA-seq counts are normalized as the compendium's
were; row ids of the kind the compendium's gene id table maps become symbols through it) and min-max
scaled with the compendium's per-gene ranges (values outside are clipped to [0, 1]):
what :mod:`deepmodules.modules.external` analyses, and what the input check reads first.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from deepmodules.data import archs4, compendium, identifiers, normalize, series, sources
from deepmodules.errors import InputError

log = logging.getLogger(__name__)


def check_groups(
    sheet: pd.DataFrame, groups: list[str], min_samples: int, where: str, fix: str
) -> None:
    """Every named group of a sample sheet needs ``min_samples`` samples; ``fix`` says what to change."""
    counts = sheet["group"].value_counts()
    for group in groups:
        if counts.get(group, 0) < min_samples:
            raise InputError(
                where,
                f"group {group!r} has {counts.get(group, 0)} samples, fewer than {min_samples}; "
                f"groups here: {', '.join(map(repr, sorted(counts.index))) or '(none)'}",
                fix,
            )


def read_sample_sheet(path: str, groups: list[str], min_samples: int) -> pd.DataFrame:
    """The sample sheet (columns sample, group); every named group needs ``min_samples`` samples.

    Spaces around a group name are not part of it (``normal `` is ``normal``)."""
    sheet = sources.read_sdrf(path, required_columns=["sample", "group"])
    sheet["group"] = sheet["group"].astype(str).str.strip()
    fix = "correct the group names in config external.*.case / references or add samples"
    check_groups(sheet, groups, min_samples, path, fix)
    return sheet


def group_series(meta: pd.DataFrame, spec: dict, where: str, what: str) -> pd.DataFrame:
    """The sample sheet of a GEO series' samples (``meta``: ARCHS4's sample fields) grouped by
    ``spec["group_by"]`` (:func:`deepmodules.data.series.series_sheet`); every named group needs
    ``min_samples`` of them. ``where`` is the config key, ``what`` names the samples in the fix."""
    sheet = series.series_sheet(meta, spec["group_by"], where)
    check_groups(
        sheet,
        [spec["case"], *spec["references"]],
        spec["min_samples"],
        where,
        f"map values of {what} to these groups (snakemake list_series_groups lists them) or "
        "correct external.*.case / references",
    )
    return sheet


def file_sheet(name: str, spec: dict) -> pd.DataFrame:
    """The sample sheet of a dataset of your own (``source: file``): its ``samples`` table, or, with
    ``group_by``, the samples of a GEO series matrix grouped by their ``!Sample_`` fields
    (:func:`deepmodules.data.series.read_series_matrix_samples`): of ``matrix`` itself, or of
    ``annotation`` when the matrix is a table of the series' supplementary files, whose columns
    are then matched to its samples (:func:`matrix_columns`)."""
    if spec.get("samples"):
        return read_sample_sheet(
            spec["samples"], [spec["case"], *spec["references"]], spec["min_samples"]
        )
    described = spec.get("annotation") or spec["matrix"]
    meta = series.read_series_matrix_samples(described)
    sheet = group_series(meta, spec, f"external.{name}.group_by", f"the samples of {described}")
    if not spec.get("annotation"):
        return sheet
    _, columns = sources.read_matrix_head(spec["matrix"], n_rows=1)
    return matrix_columns(sheet, meta, columns, spec["matrix"])


def matrix_columns(
    sheet: pd.DataFrame, meta: pd.DataFrame, columns: list[str], where: str
) -> pd.DataFrame:
    """The sheet of GEO samples (``sample``: accessions of ``meta``) with each sample named as
    the matrix's column of it (``columns``).

    GEO's tables of an RNA-seq series name their columns by accession (GEO's own count tables),
    by sample title or by the name the sample's ``description`` gives; the field of ``meta``
    (``geo_accession``, ``title``, ``description``) that names the most grouped samples, compared
    without spaces around them, is used. A grouped sample that no column names is an error.
    """
    position = {column.strip(): column for column in columns}
    grouped = meta.set_index("geo_accession").loc[sheet["sample"]]
    names = {
        field: (grouped.index if field == "geo_accession" else grouped[field])
        .astype(str)
        .str.strip()
        for field in ("geo_accession", "title", "description")
    }
    field = max(names, key=lambda f: names[f].isin(position.keys()).sum())
    chosen = names[field].to_numpy()
    found = np.isin(chosen, list(position))
    if not found.all():
        accessions = sheet["sample"].to_numpy()[~found]
        absent = [f"{a} ({n})" for a, n in zip(accessions, chosen[~found], strict=True)]
        raise InputError(
            where,
            f"{len(absent)} of the {len(sheet)} grouped samples have no column in the matrix "
            f"(e.g. {', '.join(absent[:3])}; columns: {', '.join(columns[:3])}, …)",
            "name the matrix columns by GEO accession (GSM…), sample title or the description's "
            "name, or give a sample sheet (external.*.samples) instead of group_by",
        )
    repeated = pd.Index(chosen)[pd.Index(chosen).duplicated()].unique()
    if len(repeated):
        raise InputError(
            where,
            f"the {field} of several grouped samples names one column (e.g. {repeated[0]})",
            "give a sample sheet (external.*.samples) instead of group_by",
        )
    log.info("%s: columns matched to the series' samples by %s", where, field)
    return sheet.assign(sample=[position[n] for n in chosen])


def read_series(name: str, spec: dict, dataset: dict) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """The sample sheet, gene symbols and counts (samples × genes) of an ``archs4`` external dataset.

    ``spec`` is the config of external ``name`` and ``dataset`` that of its compendium, whose single-cell
    cutoff and gene ids apply. Only the series' grouped samples are read; every named group needs
    ``min_samples`` of them.
    """
    where = f"external.{name}"
    meta = series.series_metadata(
        spec["matrix"], spec["series"], dataset["single_cell_threshold"], f"{where}.series"
    )
    sheet = group_series(meta, spec, f"{where}.group_by", f"series {spec['series']}")
    ids, _, counts = sources.read_archs4(
        spec["matrix"], dataset["single_cell_threshold"], samples=sheet["sample"].tolist()
    )
    genes, counts = archs4.counts_by_symbol(ids, counts, dataset.get("gene_ids"), spec["matrix"])
    return sheet, genes, counts


def select_samples(
    sheet: pd.DataFrame, names: list[str], values: np.ndarray, where: str
) -> np.ndarray:
    """The rows of ``values`` (samples × genes, samples ``names``) of the sheet's samples, in its order."""
    missing = sorted(set(sheet["sample"]) - set(names))
    if missing:
        raise InputError(
            where,
            f"{len(missing)} samples are not in the matrix (e.g. {missing[:3]})",
            "make the sample sheet's `sample` column match the matrix header",
        )
    return values[[names.index(s) for s in sheet["sample"]]]


def to_compendium_scale(
    values: np.ndarray, kind: str, scale: dict, where: str, samples: list[str] | None = None
) -> np.ndarray:
    """The dataset's values (samples × genes) on the compendium's log scale.

    ``kind`` is ``log`` (already there: returned as they are) or ``counts``: raw RNA-seq counts,
    upper-quartile normalized to the compendium's reference and log-transformed with its noise floor
    (``scale``, the compendium's ``scale.json``), so that a sample of the compendium gets the values it
    has there. The upper quartile is taken over the genes the dataset has; a sample without counts
    is named by ``samples`` (the rows' names).
    """
    if kind == "log":
        return values
    if scale["values"] != "counts":
        raise InputError(
            where,
            "holds counts (values: counts) but the compendium is not an RNA-seq one",
            "give log2 values on the compendium's scale (values: log) or use a compendium of counts",
        )
    if (values < 0).any():
        raise InputError(where, "has negative values, which counts cannot be", "give raw counts")
    logged, _ = normalize.log_counts(
        values, scale["noise_floor"], scale["upper_quartile_reference"], where, samples
    )
    return logged


def align_to_compendium(
    genes: list[str],
    values: np.ndarray,
    gene_range: normalize.GeneRange,
    min_overlap: float,
    max_out_of_range: float,
    where: str,
) -> np.ndarray:
    """Scale ``values`` (samples × genes) onto the compendium's genes in the compendium's order.

    Compendium genes that the dataset lacks are set to 0.5, the middle of the scaled range, and
    counted in the log; fewer shared genes than ``min_overlap`` (a fraction of the compendium's genes)
    is an error. Values are clipped to [0, 1]; when more than a fraction ``max_out_of_range`` of them
    lie more than half a range outside the compendium's (scaled below -0.5 or above 1.5), the data are
    not on the compendium's scale (raw intensities or counts against log values), which is an error.
    """
    position = {gene: i for i, gene in enumerate(genes)}
    shared = [j for j, gene in enumerate(gene_range.genes) if gene in position]
    overlap = len(shared) / len(gene_range.genes)
    if overlap < min_overlap:
        raise InputError(
            where,
            f"only {len(shared)} of the compendium's {len(gene_range.genes)} genes "
            f"({overlap:.0%}) are in the dataset, fewer than min_gene_overlap = {min_overlap:.0%}",
            "use gene symbols of the compendium's platform or lower external.*.min_gene_overlap",
        )
    aligned = np.full((len(values), len(gene_range.genes)), 0.5, dtype=np.float32)
    columns = [position[gene_range.genes[j]] for j in shared]
    subset = normalize.GeneRange(
        [gene_range.genes[j] for j in shared],
        gene_range.minimum[shared],
        gene_range.maximum[shared],
    )
    scaled = normalize.apply_range(values[:, columns], subset)
    far = (scaled < -0.5) | (scaled > 1.5)
    if far.mean() > max_out_of_range:
        i, j = np.argwhere(far)[0]
        raise InputError(
            where,
            f"{far.mean():.1%} of the values lie far outside the compendium's range (e.g. "
            f"{subset.genes[j]}: {values[i, columns[j]]:.4g} against "
            f"{subset.minimum[j]:.4g}-{subset.maximum[j]:.4g})",
            "give values on the compendium's scale (log2 intensities for microarrays, "
            "upper-quartile normalized log2(1 + counts) for RNA-seq) "
            "or raise external.*.max_out_of_range",
        )
    aligned[:, shared] = np.clip(scaled, 0.0, 1.0)
    log.info(
        "%d of %d compendium genes shared (%.1f%%); the others set to 0.5; %.2f%% of the values "
        "clipped to the compendium's range, %.2f%% far outside it",
        len(shared),
        len(gene_range.genes),
        100 * overlap,
        100 * ((scaled < 0) | (scaled > 1)).mean(),
        100 * far.mean(),
    )
    return aligned


def row_genes(
    ids: list[str], values: np.ndarray, own: dict | None, gene_ids: dict | None, where: str
) -> tuple[list[str], np.ndarray]:
    """The rows of an external matrix (``values``: samples × rows) as gene symbols.

    With a table of its own (``own``, ``external.*.gene_ids``: a dataset of another platform), every
    row gets its symbol through it, as a compendium's rows do
    (:func:`deepmodules.data.compendium.gene_symbols`: rows of one symbol merge, too few mapped rows
    is refused). Without one, a dataset of the platform of a compendium read through a gene id table
    (``gene_ids``, the compendium's ``datasets.*.gene_ids``; against a bundle, the bundle's copy)
    usually names its rows as that compendium's matrix did (probe sets, Ensembl ids): when more of
    its row ids are in that table than are symbols the table gives, the rows are read through it.
    Otherwise, and without a table, the row ids are the symbols.
    """
    if own:
        return compendium.gene_symbols(ids, values, own, where)
    if not gene_ids:
        return ids, values
    mapping, _ = identifiers.read_gene_mapping(
        gene_ids["mapping"], gene_ids["from"], gene_ids["to"]
    )
    symbols = set(mapping.values())
    by_table = sum(identifiers.normalize_gene_id(i) in mapping for i in ids)
    if by_table <= sum(i in symbols for i in ids):
        return ids, values
    return compendium.gene_symbols(ids, values, gene_ids, where)


def to_compendium(
    name: str, spec: dict, dataset: dict, reference: compendium.Compendium
) -> tuple[pd.DataFrame, np.ndarray]:
    """External dataset ``name`` as its compendium's autoencoder takes it: the sample sheet and the
    samples × compendium genes matrix in [0, 1].

    A series (``source: archs4``) is read from the ARCHS4 file (:func:`read_series`) and normalized as
    counts; a matrix with its sample sheet is read as ``values`` says. Then :func:`to_compendium_scale`
    and :func:`align_to_compendium`, whose errors name the matrix.
    """
    if spec["source"] == "archs4":
        sheet, genes, values = read_series(name, spec, dataset)
        kind = "counts"
    else:
        sheet = file_sheet(name, spec)
        ids, names, values = sources.read_processed_matrix(spec["matrix"])
        values = select_samples(sheet, names, values, spec.get("samples") or spec["matrix"])
        genes, values = row_genes(
            ids, values, spec.get("gene_ids"), (dataset or {}).get("gene_ids"), spec["matrix"]
        )
        kind = spec["values"]
    samples = list(sheet["sample"])
    complete = normalize.complete_genes(values, genes, samples, spec["matrix"])
    genes, values = normalize.subset_genes(list(genes), values, complete)
    values = to_compendium_scale(values, kind, reference.scale, spec["matrix"], samples)
    x = align_to_compendium(
        genes,
        values,
        reference.gene_range,
        spec["min_gene_overlap"],
        spec["max_out_of_range"],
        spec["matrix"],
    )
    return sheet, x
