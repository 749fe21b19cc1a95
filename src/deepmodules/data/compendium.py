"""A normalized compendium on disk: the samples × genes matrix, its gene ranges and sample annotation.

``prepare`` reads a source (E-MTAB-3732 microarrays or ARCHS4 RNA-seq counts), checks it before any long
work starts, normalizes it (see :mod:`deepmodules.data.normalize`) and splits it into training and test samples.
``load`` memory-maps what ``prepare`` wrote.

Layout of a normalized compendium folder:

- ``expression.npy``: float32 samples × genes in [0, 1] (memory-mappable);
- ``genes.tsv``: gene, minimum, maximum (the range used by min-max scaling);
- ``samples.tsv``: sample, cell_type, disease, study, split (train / test);
- ``scale.json``: what the ranges apply to, so that external datasets can be put on the same scale:
  ``{"values": "log"}`` for microarrays, ``{"values": "counts", "noise_floor": …,
  "upper_quartile_reference": …}`` for RNA-seq counts (:func:`deepmodules.data.normalize.log_counts`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules import layout
from deepmodules.data import identifiers, normalize, series, sources
from deepmodules.errors import InputError

log = logging.getLogger(__name__)

ANNOTATION = ["sample", "cell_type", "disease", "study"]


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


# Without a mapping table, a matrix whose rows are mostly identifiers rather than symbols is refused.
MAX_IDENTIFIER_SHARE = 0.5


def gene_symbols(
    ids: list[str], values: np.ndarray, gene_ids: dict | None, where: str
) -> tuple[list[str], np.ndarray]:
    """Turn a matrix's row ids into gene symbols, one row per symbol (``values`` is samples × rows).

    Without ``gene_ids`` the ids are taken as symbols. With it, ids are normalized
    (:func:`~deepmodules.data.identifiers.normalize_gene_id`) and looked up in the table
    ``gene_ids["mapping"]`` (column ``from`` → column ``to``); rows with no or an ambiguous
    symbol are dropped, and fewer than ``min_mapped`` of the rows mapped is refused. Rows of one
    symbol merge by :func:`~deepmodules.data.identifiers.collapse_duplicate_genes` (highest mean kept).
    """
    if gene_ids is None:
        share = identifiers.looks_like_identifiers(ids)
        if share > MAX_IDENTIFIER_SHARE:
            raise InputError(
                where,
                f"{share:.0%} of the row ids look like Ensembl, Entrez or probe-set ids, not gene "
                f"symbols (e.g. {', '.join(ids[:3])})",
                "set datasets.*.gene_ids to a table that maps these ids to gene symbols",
            )
        return identifiers.collapse_duplicate_genes(ids, values, where)
    mapping, n_ambiguous = identifiers.read_gene_mapping(
        gene_ids["mapping"], gene_ids["from"], gene_ids["to"]
    )
    symbols = [mapping.get(identifiers.normalize_gene_id(i)) for i in ids]
    mapped = np.array([s is not None for s in symbols], dtype=bool)
    log.info(
        "%s: %d of %d rows mapped to a gene symbol with %s (%d ids of the table are ambiguous, "
        "naming several symbols, and left out)",
        where,
        mapped.sum(),
        len(ids),
        gene_ids["mapping"],
        n_ambiguous,
    )
    if mapped.mean() < gene_ids["min_mapped"]:
        unmapped = [i for i, s in zip(ids, symbols, strict=True) if s is None]
        raise InputError(
            where,
            f"only {mapped.sum()} of {len(ids)} rows ({mapped.mean():.0%}) map to a symbol in "
            f"{gene_ids['mapping']} (unmapped e.g. {', '.join(unmapped[:3])})",
            "set datasets.*.gene_ids.from to the table's column holding these ids, "
            "or lower datasets.*.gene_ids.min_mapped",
        )
    kept = [s for s in symbols if s is not None]
    return identifiers.collapse_duplicate_genes(kept, values[:, mapped], where)


def emtab_annotation(spec: dict, names: list[str]) -> pd.DataFrame:
    """The SDRF rows of the matrix's samples ``names``, in their order (one row per sample)."""
    columns = spec["columns"]
    if not spec.get("annotation"):
        raise InputError(
            "config: datasets.*.annotation", "emtab datasets need an SDRF", "set its path"
        )
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
    """ARCHS4 sample fields joined with the keys of their ``characteristics_ch1`` (one row per sample)."""
    parsed = pd.DataFrame([sources.parse_characteristics(t) for t in meta["characteristics_ch1"]])
    table = pd.concat([meta.reset_index(drop=True), parsed], axis=1)
    absent = [c for c in spec["columns"].values() if c not in table.columns]
    if absent:
        raise InputError(
            spec["matrix"],
            f"no sample field or characteristic named {absent}",
            "set datasets.*.columns to fields of meta/samples or keys of characteristics_ch1",
        )
    return table


def read_source(spec: dict) -> tuple[list[str], pd.DataFrame, np.ndarray, dict]:
    """Read a dataset's genes, annotation (columns of ``ANNOTATION``), log-scale values and scale.

    Row ids become gene symbols by :func:`gene_symbols`, before RNA-seq counts are normalized.
    ARCHS4 samples of the series in ``selection.exclude_series`` (the series analysed as external
    datasets, :func:`deepmodules.data.series.in_series`) are left out.
    """
    columns = spec["columns"]
    gene_ids = spec.get("gene_ids")
    if spec["format"] == "emtab":
        ids, names, values = sources.read_processed_matrix(spec["matrix"], spec["matrix_member"])
        genes, values = gene_symbols(ids, values, gene_ids, spec["matrix"])
        table = emtab_annotation(spec, names)
        scale = {"values": "log"}
    else:
        samples = None
        excluded = spec.get("selection", {}).get("exclude_series", [])
        if excluded:
            _, meta = sources.read_archs4_metadata(spec["matrix"], spec["single_cell_threshold"])
            out = np.any([series.in_series(meta, s) for s in excluded], axis=0)
            log.info("%s: %d samples of series %s left out", spec["matrix"], out.sum(), excluded)
            samples = meta["geo_accession"][~out].tolist()
        ids, meta, counts = sources.read_archs4(
            spec["matrix"], single_cell_cutoff=spec["single_cell_threshold"], samples=samples
        )
        genes, counts = gene_symbols(ids, counts, gene_ids, spec["matrix"])
        table = archs4_annotation(spec, meta)
        values, reference = normalize.log_counts(counts, spec["noise_floor"])
        scale = {
            "values": "counts",
            "noise_floor": spec["noise_floor"],
            "upper_quartile_reference": reference,
        }
    return list(genes), annotation_columns(table, columns), values, scale


def annotation_columns(table: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """The ``ANNOTATION`` columns (sample, cell type, disease, study) of a source's sample table."""
    annotation = pd.DataFrame(
        {key: table[column].fillna("").astype(str).to_numpy() for key, column in columns.items()}
    )
    return annotation[ANNOTATION]


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


def prepare(spec: dict, diseases: dict, seed: int, outdir: str | Path) -> Compendium:
    """Read, check, normalize and split one dataset, writing the compendium folder ``outdir``."""
    genes, annotation, values, scale = read_source(spec)
    where = spec.get("annotation") or spec["matrix"]
    check_diseases(annotation, diseases, spec["min_cases"], where)
    normalize.check_finite(values, genes, spec["matrix"])

    constant = normalize.constant_genes(values)
    if constant.any():
        if not spec["drop_constant_genes"]:
            examples = ", ".join(np.asarray(genes)[constant][:5])
            raise InputError(
                spec["matrix"],
                f"{int(constant.sum())} genes are constant across samples (e.g. {examples})",
                "remove them or set datasets.*.drop_constant_genes: true",
            )
        log.info("dropping %d constant genes", int(constant.sum()))
        values = values[:, ~constant]
        genes = [g for g, c in zip(genes, constant, strict=True) if not c]

    gene_range = normalize.fit_range(values, genes)
    test = normalize.train_test_split(len(annotation), spec["test_size"], seed)
    annotation["split"] = np.where(test, "test", "train")

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files = layout.normalized_files(outdir)
    scaled = np.lib.format.open_memmap(
        files["expression"], mode="w+", dtype=np.float32, shape=values.shape
    )
    for start in range(0, len(values), 4096):
        scaled[start : start + 4096] = normalize.apply_range(
            values[start : start + 4096], gene_range
        )
    scaled.flush()
    pd.DataFrame(
        {"gene": genes, "minimum": gene_range.minimum, "maximum": gene_range.maximum}
    ).to_csv(files["genes"], sep="\t", index=False)
    annotation.to_csv(files["samples"], sep="\t", index=False)
    files["scale"].write_text(json.dumps(scale, indent=1) + "\n")
    log.info(
        "%d samples (%d test) × %d genes written to %s",
        len(annotation),
        test.sum(),
        len(genes),
        outdir,
    )
    return Compendium(scaled, genes, annotation, gene_range, scale)


def load(folder: str | Path, mmap: bool = True) -> Compendium:
    """Open a compendium folder written by :func:`prepare`."""
    files = layout.normalized_files(folder)
    genes = pd.read_csv(files["genes"], sep="\t", keep_default_na=False)
    samples = pd.read_csv(files["samples"], sep="\t", dtype=str, keep_default_na=False)
    values = np.load(files["expression"], mmap_mode="r" if mmap else None)
    gene_list = genes["gene"].tolist()
    gene_range = normalize.GeneRange(
        gene_list, genes["minimum"].to_numpy(), genes["maximum"].to_numpy()
    )
    scale = json.loads(files["scale"].read_text())
    return Compendium(values, gene_list, samples, gene_range, scale)
