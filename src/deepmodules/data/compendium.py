"""A normalized compendium on disk: the samples × genes matrix, its gene ranges and sample annotation.

``prepare`` reads a source (E-MTAB-3732 microarrays, or a GEO series matrix annotated by its own
``!Sample_`` lines, a processed matrix of log values or RNA-seq counts, or ARCHS4 RNA-seq counts),
checks it before any long work starts, normalizes it (see :mod:`deepmodules.data.normalize`) and
splits it into training and test samples.
``load`` memory-maps what ``prepare`` wrote. ARCHS4 files are normalized out of core
(:mod:`deepmodules.data.archs4`). The folder is written in ``.partial/`` inside it and its files moved
into place at the end (:func:`staged`), so a failed ``prepare`` leaves no partial compendium.

Layout of a normalized compendium folder:

- ``expression.npy``: float32 samples × genes in [0, 1] (memory-mappable);
- ``genes.tsv``: gene, minimum, maximum (the range used by min-max scaling);
- ``samples.tsv``: sample, cell_type, disease, study, split (train / test);
- ``scale.json``: what the ranges apply to, so that external datasets can be put on the same scale:
  ``{"values": "log"}`` for log-scale values (microarrays), ``{"values": "counts", "noise_floor": …,
  "upper_quartile_reference": …}`` for RNA-seq counts (:func:`deepmodules.data.normalize.log_counts`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.data import annotation as sample_annotation
from deepmodules.data import archs4, identifiers, normalize, sources
from deepmodules.errors import InputError, readable

log = logging.getLogger(__name__)


def row_blocks(values: np.ndarray, rows: np.ndarray, block: int) -> Iterator[np.ndarray]:
    """The samples ``rows`` of a (memory-mapped) samples × genes matrix, ``block`` rows at a time, as
    float64 copies: what a pass over a compendium too large to hold whole in float64 reads."""
    for start in range(0, len(rows), block):
        yield np.asarray(values[rows[start : start + block]], dtype=np.float64)


@dataclass
class Compendium:
    """A normalized compendium: ``values`` is samples × genes (possibly memory-mapped)."""

    values: np.ndarray
    genes: list[str]
    samples: pd.DataFrame
    gene_range: normalize.GeneRange
    scale: dict

    @property
    def train(self) -> np.ndarray:
        return (self.samples["split"] == "train").to_numpy()


def gene_symbols(
    ids: list[str], values: np.ndarray, gene_ids: dict | None, where: str
) -> tuple[list[str], np.ndarray]:
    """Turn a matrix's row ids into gene symbols, one row per symbol (``values`` is samples × rows).

    Each row gets its symbol by :func:`~deepmodules.data.identifiers.row_symbols`; rows without one
    are dropped, and rows of one symbol merge by
    :func:`~deepmodules.data.identifiers.collapse_duplicate_genes` (highest mean kept).
    """
    symbols = identifiers.row_symbols(ids, gene_ids, where)
    mapped = np.array([s is not None for s in symbols], dtype=bool)
    kept = [s for s in symbols if s is not None]
    return identifiers.collapse_duplicate_genes(
        kept, values if mapped.all() else values[:, mapped], where
    )


def read_emtab(spec: dict) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """Read an E-MTAB dataset's genes, annotation (the columns of
    :data:`deepmodules.data.annotation.ANNOTATION`) and values.

    Row ids become gene symbols by :func:`gene_symbols`.
    """
    ids, names, values = sources.read_processed_matrix(spec["matrix"], spec["matrix_member"])
    genes, values = gene_symbols(ids, values, spec.get("gene_ids"), spec["matrix"])
    table = sample_annotation.emtab_annotation(spec, names)
    return list(genes), sample_annotation.annotation_columns(table, spec["columns"]), values


def report_shared_genes(
    genes: list[str], references: dict[str, set[str]], where: str, min_share: float = 0.5
) -> dict[str, int]:
    """Log how many of the compendium's genes each reference names (e.g. STRING, refGene).

    A reference naming fewer than ``min_share`` of the genes is logged as a warning: the
    identifiers probably differ (symbols against ids, or another organism). Returns the counts.
    """
    shared = {}
    for name, reference in references.items():
        shared[name] = len(set(genes) & reference)
        share = shared[name] / len(genes) if genes else 0.0
        log.log(
            logging.WARNING if share < min_share else logging.INFO,
            "%s: %d of %d genes (%.0f%%) are genes of %s",
            where,
            shared[name],
            len(genes),
            100 * share,
            name,
        )
    return shared


def nonconstant(constant: np.ndarray, genes: list[str], spec: dict) -> np.ndarray:
    """The genes that are not ``constant``; constant genes refused unless ``drop_constant_genes``."""
    if constant.any():
        if not spec["drop_constant_genes"]:
            examples = ", ".join(np.asarray(genes)[constant][:5])
            raise InputError(
                spec["matrix"],
                f"{int(constant.sum())} genes are constant across samples (e.g. {examples})",
                "remove them or set datasets.*.drop_constant_genes: true",
            )
        log.info("dropping %d constant genes", int(constant.sum()))
    return ~constant


@contextmanager
def staged(outdir: Path) -> Iterator[Path]:
    """A folder inside ``outdir`` to write a compendium in; its files move into ``outdir`` at the end.

    When the block fails, the folder is removed (and ``outdir`` too when this created it), so a
    failed ``prepare`` leaves no partial compendium.
    """
    created = not outdir.exists()
    stage = outdir / ".partial"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            shutil.rmtree(outdir, ignore_errors=True)
        raise
    for name in layout.NORMALIZED.values():
        os.replace(stage / name, outdir / name)
    shutil.rmtree(stage)


def _write_tables(
    stage: Path, gene_range: normalize.GeneRange, annotation: pd.DataFrame, scale: dict
) -> None:
    """The compendium's files besides ``expression.npy``."""
    files = layout.normalized_files(stage)
    pd.DataFrame(
        {"gene": gene_range.genes, "minimum": gene_range.minimum, "maximum": gene_range.maximum}
    ).to_csv(files["genes"], sep="\t", index=False)
    annotation.to_csv(files["samples"], sep="\t", index=False)
    files["scale"].write_text(json.dumps(scale, indent=1) + "\n")


def log_scale(values: np.ndarray, spec: dict, samples: list[str]) -> tuple[np.ndarray, dict]:
    """An emtab matrix (samples × genes, ``samples`` its rows) on the log scale the autoencoder is
    trained on, and the scale it is on (``scale.json``: what external datasets are put on).

    ``values: log`` is taken as it is, but a value above ``MAX_LOG2_VALUE`` means raw intensities
    or counts, which are refused. ``values: counts`` are raw RNA-seq counts: upper-quartile
    normalized and log-transformed with the dataset's ``noise_floor``
    (:func:`deepmodules.data.normalize.log_counts`), as an ARCHS4 compendium's counts are.
    """
    if spec["values"] == "log":
        if values.max() > normalize.MAX_LOG2_VALUE:
            raise InputError(
                spec["matrix"],
                f"values up to {values.max():.4g} are not log-scale values (values: log)",
                "log2-transform the matrix, or set datasets.*.values: counts for raw RNA-seq counts",
            )
        return values, {"values": "log"}
    if values.min() < 0:
        raise InputError(
            spec["matrix"],
            "has negative values, which counts cannot be (values: counts)",
            "give raw counts, or set datasets.*.values: log for log-scale values",
        )
    logged, reference = normalize.log_counts(
        values, spec["noise_floor"], where=spec["matrix"], samples=samples
    )
    scale = {"values": "counts", "noise_floor": spec["noise_floor"]}
    return logged.astype(np.float32), scale | {"upper_quartile_reference": reference}


def prepare(spec: dict, diseases: dict, seed: int, outdir: str | Path) -> Compendium:
    """Read, check, normalize and split one dataset, writing the compendium folder ``outdir``.

    ARCHS4 files are normalized out of core by :func:`prepare_archs4`.
    """
    outdir = Path(outdir)
    if spec["format"] == "archs4":
        return prepare_archs4(spec, diseases, seed, outdir)
    genes, annotation, values = read_emtab(spec)
    where = spec.get("annotation") or spec["matrix"]
    sample_annotation.check_diseases(annotation, diseases, spec["min_cases"], where)
    samples = list(annotation["sample"])
    complete = normalize.complete_genes(values, genes, samples, spec["matrix"])
    genes, values = normalize.subset_genes(genes, values, complete)
    values, scale = log_scale(values, spec, samples)
    constant = normalize.constant_genes(values)
    genes, values = normalize.subset_genes(genes, values, nonconstant(constant, genes, spec))

    gene_range = normalize.fit_range(values, genes)
    test = normalize.train_test_split(len(annotation), spec["test_size"], seed)
    annotation["split"] = np.where(test, "test", "train")
    with staged(outdir) as stage:
        scaled = np.lib.format.open_memmap(
            layout.normalized_files(stage)["expression"],
            mode="w+",
            dtype=np.float32,
            shape=values.shape,
        )
        for start in range(0, len(values), 4096):
            scaled[start : start + 4096] = normalize.apply_range(
                values[start : start + 4096], gene_range
            )
        scaled.flush()
        del scaled
        _write_tables(stage, gene_range, annotation, scale)
    log.info(
        "%d samples (%d test) × %d genes written to %s",
        len(annotation),
        test.sum(),
        len(genes),
        outdir,
    )
    return load(outdir)


def prepare_archs4(spec: dict, diseases: dict, seed: int, outdir: Path) -> Compendium:
    """An ARCHS4 compendium: samples and genes chosen by :func:`deepmodules.data.archs4.select`,
    counts normalized in the three streamed passes of :mod:`deepmodules.data.archs4`.

    Everything that needs only the metadata (selection, annotation, diseases, split) is checked
    before the counts are read.
    """
    path = Path(spec["matrix"])
    selection, meta = archs4.select(spec, seed)
    table = sample_annotation.archs4_annotation(spec, meta)
    annotation = sample_annotation.annotation_columns(table, spec["columns"])
    del meta  # the streamed passes hold only the annotation
    sample_annotation.check_diseases(annotation, diseases, spec["min_cases"], str(path))
    test = normalize.train_test_split(len(annotation), spec["test_size"], seed)
    annotation["split"] = np.where(test, "test", "train")
    floor = spec["noise_floor"]
    with staged(outdir) as stage:
        # expression.npy holds the ratios of pass 1 until pass 3 overwrites it
        expression = layout.normalized_files(stage)["expression"]
        with readable(path), h5py.File(path, "r") as h5:
            ratios = archs4.stream_ratios(h5["data/expression"], selection, expression)
        reference = ratios.reference
        minimum, maximum = ratios.log_range(floor)
        keep = np.ones(len(selection.genes), dtype=bool)
        if archs4.filters_genes(spec):
            statistics = archs4.gene_statistics(expression, selection.shape, reference, floor)
            keep = archs4.gene_filter(statistics, spec, str(path))
        keep &= nonconstant(keep & (minimum == maximum), selection.genes, spec)
        gene_range = normalize.GeneRange(
            [g for g, k in zip(selection.genes, keep, strict=True) if k],
            minimum[keep],
            maximum[keep],
        )
        archs4.write_scaled(expression, selection.shape, keep, reference, floor, gene_range)
        scale = {"values": "counts", "noise_floor": floor, "upper_quartile_reference": reference}
        _write_tables(stage, gene_range, annotation, scale)
    log.info(
        "%d samples (%d test) × %d genes written to %s",
        len(annotation),
        test.sum(),
        len(gene_range.genes),
        outdir,
    )
    return load(outdir)


def load(folder: str | Path, mmap: bool = True) -> Compendium:
    """Open a compendium folder written by :func:`prepare`."""
    files = layout.normalized_files(folder)
    reference = load_reference(files["genes"], files["scale"])
    samples = pd.read_csv(files["samples"], sep="\t", dtype=str, keep_default_na=False)
    values = np.load(files["expression"], mmap_mode="r" if mmap else None)
    return Compendium(values, reference.genes, samples, reference.gene_range, reference.scale)


def load_reference(genes: str | Path, scale: str | Path) -> Compendium:
    """A compendium's genes, their ranges and its value scale (``genes.tsv`` and ``scale.json`` of a
    normalized folder or of a bundle) without its samples: what a new dataset is put on the
    compendium's scale with."""
    table = pd.read_csv(genes, sep="\t", keep_default_na=False)
    gene_list = table["gene"].tolist()
    gene_range = normalize.GeneRange(
        gene_list, table["minimum"].to_numpy(), table["maximum"].to_numpy()
    )
    return Compendium(
        np.empty((0, len(gene_list)), dtype=np.float32),
        gene_list,
        pd.DataFrame(columns=["sample", "split"]),
        gene_range,
        json.loads(Path(scale).read_text()),
    )
