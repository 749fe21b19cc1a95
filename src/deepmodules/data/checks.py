"""Checks of every input file before any long job runs (the ``check_inputs`` stage).

Each input is opened with the reader its stage uses (:mod:`deepmodules.data.sources`,
:func:`deepmodules.data.stringdb.read_string`, :mod:`deepmodules.data.gwas_sources`, :mod:`deepmodules.data.external`), so that a
wrong header, a missing column, an unknown disease or a truncated download stops the run within its
first minute instead of after training. Compressed files are read to their end first (zip CRC of
every member, the whole gzip stream, the HDF5 superblock), so a truncated file is named as such.
Large tables are checked at their head (the first ``HEAD_ROWS`` rows of an expression matrix, ARCHS4
metadata without counts); the small ones (STRING, GWAS, refGene, sample sheets) are read whole.

Every check returns its rows (input, path, check, result) of the report ``results/checks/inputs.tsv``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.data import annotation as sample_annotation
from deepmodules.data import (
    archs4,
    compendium,
    external,
    gwas_sources,
    normalize,
    sources,
    stringdb,
)
from deepmodules.data.integrity import check_integrity
from deepmodules.errors import InputError

log = logging.getLogger(__name__)

COLUMNS = ["input", "path", "check", "result"]
# Rows of an expression matrix whose ids are checked (gene symbols, network and refGene coverage).
HEAD_ROWS = 2000
# A reference (STRING, refGene) naming fewer of a matrix's genes than this is logged as a warning.
MIN_SHARED = 0.5


def _row(name: str, path: str | Path, check: str, result: object) -> dict:
    return {"input": name, "path": str(path), "check": check, "result": str(result)}


def head_genes(spec: dict) -> list[str]:
    """Gene symbols of a dataset's first ``HEAD_ROWS`` matrix rows (every gene of an ARCHS4 file)."""
    if spec["format"] == "emtab":
        ids, _ = sources.read_matrix_head(spec["matrix"], spec["matrix_member"], HEAD_ROWS)
    else:
        ids, _ = sources.read_archs4_metadata(spec["matrix"], spec["single_cell_threshold"])
    zeros = np.zeros((1, len(ids)), np.float32)
    return list(compendium.gene_symbols(ids, zeros, spec.get("gene_ids"), spec["matrix"])[0])


def check_dataset(name: str, spec: dict, diseases: dict, seed: int) -> list[dict]:
    """Matrix head, gene ids, annotation columns, sample names and disease labels of one dataset.

    ``spec`` is the compendium's (:func:`deepmodules.config.compendium_spec`). The diseases of an
    ARCHS4 compendium are counted among the samples normalize will take (bulk, outside
    ``exclude_series``, ``samples_file``, ``n_samples`` drawn with ``seed``), not the whole file."""
    where, matrix = f"datasets.{name}", spec["matrix"]
    rows = [_row(f"{where}.matrix", matrix, "integrity", check_integrity(matrix))]
    for key in ("annotation", "gene_ids"):
        if spec.get(key):
            path = spec[key]["mapping"] if key == "gene_ids" else spec[key]
            rows.append(_row(f"{where}.{key}", path, "integrity", check_integrity(path)))
    if spec["format"] == "emtab":
        ids, names = sources.read_matrix_head(matrix, spec["matrix_member"], HEAD_ROWS)
        table = sample_annotation.emtab_annotation(spec, names)
        shape = f"{len(names)} samples; first {len(ids)} rows read"
        zeros = np.zeros((1, len(ids)), np.float32)
        genes, _ = compendium.gene_symbols(ids, zeros, spec.get("gene_ids"), matrix)
        n_rows = len(ids)
    else:
        selection, meta = archs4.select(spec, seed)
        table = sample_annotation.archs4_annotation(spec, meta)
        genes, n_rows = selection.genes, selection.n_file_genes
        shape = f"{len(meta)} samples selected (bulk, exclude_series, n_samples); {n_rows} genes"
    rows.append(_row(f"{where}.matrix", matrix, "shape", shape))
    rows.append(_row(f"{where}.matrix", matrix, "gene symbols", f"{len(genes)} of {n_rows} rows"))
    annotation = sample_annotation.annotation_columns(table, spec["columns"])
    where_samples = spec.get("annotation") or matrix
    sample_annotation.check_diseases(annotation, diseases, spec["min_cases"], where_samples)
    counts = annotation["disease"].value_counts()
    per_disease = ", ".join(f"{d}={counts.get(diseases[d]['label'], 0)}" for d in diseases)
    rows.append(_row(f"{where}.annotation", where_samples, "samples per disease", per_disease))
    return rows


def check_network(network: dict, genes: dict[str, list[str]]) -> list[dict]:
    """STRING links and info: integrity, headers, score range, edges kept, coverage of each matrix.

    The network is built as :func:`deepmodules.data.stringdb.read_string` builds it for the colocalization,
    which refuses a links file without links, scores on 0-1 and a ``min_score`` above every score.
    """
    links, info = network["links"], network["info"]
    rows = [
        _row("network.links", links, "integrity", check_integrity(links)),
        _row("network.info", info, "integrity", check_integrity(info)),
    ]
    graph = stringdb.read_string(links, info, network["min_score"], min_shared_genes=1)
    rows.append(
        _row(
            "network.links",
            links,
            f"edges with combined_score >= {network['min_score']}",
            graph.n_edges,
        )
    )
    rows += _coverage("network.info", info, set(graph.genes), genes)
    return rows


def _coverage(name: str, path: str, reference: set[str], genes: dict[str, list[str]]) -> list[dict]:
    """Share of each dataset's (head) genes that ``reference`` names; none at all is refused."""
    rows = []
    for dataset, symbols in genes.items():
        shared = compendium.report_shared_genes(symbols, {path: reference}, dataset, MIN_SHARED)[
            path
        ]
        if symbols and shared == 0:
            raise InputError(
                path,
                f"names none of the genes of dataset {dataset!r} (e.g. {', '.join(symbols[:3])})",
                "use human gene symbols in both, or map the matrix's ids with datasets.*.gene_ids",
            )
        rows.append(_row(name, path, f"genes of {dataset} named", f"{shared} of {len(symbols)}"))
    return rows


def check_gwas(cfg: dict, diseases: dict, genes: dict[str, list[str]]) -> list[dict]:
    """Association table (columns, each disease's terms matched), builds, and refGene.

    ``cfg`` is the ``gwas`` section; ``diseases`` are the configured and the external diseases.
    """
    source, refgene = cfg[cfg["source"]], cfg["refgene"]
    rows = [
        _row(f"gwas.{cfg['source']}", source, "integrity", check_integrity(source)),
        _row("gwas.refgene", refgene, "integrity", check_integrity(refgene)),
    ]
    gwas_sources.check_build(cfg["snp_build"], cfg["refgene_build"], "config: gwas.snp_build")
    snps = gwas_sources.read_associations(cfg["source"], source, diseases)
    counts = snps["disease"].value_counts()
    rows.append(
        _row(
            f"gwas.{cfg['source']}",
            source,
            "SNPs per disease",
            ", ".join(f"{d}={counts.get(d, 0)}" for d in diseases),
        )
    )
    coordinates = gwas_sources.read_refgene(refgene, noncoding=cfg["noncoding_genes"])
    rows.append(_row("gwas.refgene", refgene, "gene loci", len(coordinates)))
    rows += _coverage("gwas.refgene", refgene, set(coordinates["gene"]), genes)
    return rows


def check_external(name: str, spec: dict, dataset: dict) -> list[dict]:
    """An external dataset: its groups in the sample sheet, its samples in the matrix, its scale.

    ``values: log`` above ``normalize.MAX_LOG2_VALUE`` are raw intensities or counts; ``values:
    counts`` must not be negative. Its range against the compendium's is checked by the external_dataset stage.
    A GEO series of an ARCHS4 file (``source: archs4``; ``dataset`` is its compendium's config) is
    read as the stage reads it: the series in the file, its grouping rule, each group's samples.
    """
    where = f"external.{name}"
    rows = [_row(f"{where}.matrix", spec["matrix"], "integrity", check_integrity(spec["matrix"]))]
    if spec["source"] == "archs4":
        sheet, genes, _ = external.read_series(name, spec, dataset)
        counts = sheet["group"].value_counts()
        groups = [spec["case"], *spec["references"]]
        result = ", ".join(f"{g}={counts[g]}" for g in groups)
        rows.append(_row(f"{where}.series", spec["matrix"], "samples per group", result))
        rows.append(_row(f"{where}.series", spec["matrix"], "genes", len(genes)))
        return rows
    sheet = external.file_sheet(name, spec)
    genes, names, values = sources.read_processed_matrix(spec["matrix"])
    values = external.select_samples(sheet, names, values, spec.get("samples") or spec["matrix"])
    # missing values: genes left out, a sample without values refused, as the stage will
    normalize.complete_genes(values, genes, list(sheet["sample"]), spec["matrix"])
    if spec["values"] == "log" and np.nanmax(values) > normalize.MAX_LOG2_VALUE:
        raise InputError(
            spec["matrix"],
            f"values up to {np.nanmax(values):.4g} are not log2 values (values: log)",
            f"log2-transform the matrix, or set {where}.values: counts for raw RNA-seq counts",
        )
    if spec["values"] == "counts" and np.nanmin(values) < 0:
        raise InputError(
            spec["matrix"], "has negative values, which counts cannot be", "give raw counts"
        )
    counts = sheet["group"].value_counts()
    groups = [spec["case"], *spec["references"]]
    rows.append(
        _row(
            f"{where}.samples" if spec.get("samples") else f"{where}.group_by",
            spec.get("samples") or spec["matrix"],
            "samples per group",
            ", ".join(f"{g}={counts[g]}" for g in groups),
        )
    )
    rows.append(
        _row(f"{where}.matrix", spec["matrix"], "genes; samples", f"{len(genes)}; {len(names)}")
    )
    return rows


def check_external_scale(
    name: str, spec: dict, dataset: dict, genes: str | Path, scale: str | Path
) -> list[dict]:
    """An external dataset against its compendium's ``genes`` and ``scale`` (of the normalized
    folder, or of a bundle), before any training or reverse training.

    It is read and scaled exactly as the external_dataset stage will (:func:`external.to_compendium`):
    too few shared genes, values off the compendium's per-gene ranges, or counts against a
    log-scale compendium stop here, once the compendium is normalized, not after training.
    """
    reference = compendium.load_reference(genes, scale)
    sheet, x = external.to_compendium(name, spec, dataset, reference)
    clipped = float(((x == 0) | (x == 1)).mean())
    where = f"external.{name}"
    return [
        _row(
            f"{where}.matrix",
            spec["matrix"],
            "samples × compendium genes",
            f"{x.shape[0]} × {x.shape[1]}",
        ),
        _row(
            f"{where}.matrix",
            spec["matrix"],
            "share of values at the range's ends",
            f"{clipped:.3f}",
        ),
    ]


def check_compendium(
    name: str, spec: dict, folder: str | Path, info: str, min_shared: int
) -> list[dict]:
    """The genes a normalized compendium kept (``folder``) against STRING, before any training.

    PPI colocalization needs at least ``min_shared`` of them among STRING's named proteins
    (:func:`deepmodules.data.stringdb.read_string`); a gene filter or an id mapping that keeps
    fewer stops here, after normalize, instead of after every model has trained.
    """
    genes, genes_file = compendium.load(folder).genes, layout.normalized_files(folder)["genes"]
    shared = len(set(stringdb.read_string_names(info)) & set(genes))
    where = f"datasets.{name}"
    if shared < min_shared:
        filters = (
            f"{where}.max_genes, min_mean_log_expression or min_expressed_fraction"
            if spec["format"] == "archs4"
            else f"{where}.gene_ids or drop_constant_genes"
        )
        raise InputError(
            genes_file,
            f"the compendium {name!r} kept {len(genes)} genes, {shared} of them named in STRING "
            f"(PPI colocalization needs at least {min_shared})",
            f"keep more genes ({filters}) or lower network.min_shared_genes",
        )
    return [
        _row(where, genes_file, "genes kept", len(genes)),
        _row("network.info", info, f"genes of {name} named", f"{shared} of {len(genes)}"),
    ]


def write_report(rows: list[dict], path: str | Path) -> None:
    """Log every check and write the rows as a tab-separated report."""
    for row in rows:
        log.info("%s (%s): %s: %s", row["input"], row["path"], row["check"], row["result"])
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, sep="\t", index=False)
