"""Gene identifiers to HGNC symbols: recognising identifiers (Ensembl, Entrez probe sets), reading an
id-to-symbol table, and merging rows that map to the same symbol (highest mean kept).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from deepmodules.data.tables import read_table
from deepmodules.errors import InputError, require_file

log = logging.getLogger(__name__)

# Row ids that are identifiers, not gene symbols: Ensembl ids and (custom-CDF) probe sets.
IDENTIFIER_PATTERN = re.compile(r"ENS[A-Z]*G\d{6,}(\.\d+)?|\d+(_[a-z]+)*_at|\d+", re.IGNORECASE)
ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*\d{6,})\.\d+$", re.IGNORECASE)
ENTREZ_PROBE_SET = re.compile(r"^(\d+)_at$", re.IGNORECASE)
# Symbols of one identifier are separated like this in Affymetrix and biomaRt tables ("A /// B").
SEVERAL_SYMBOLS = re.compile(r"\s*(?:///|//|;|,|\|)\s*")


def collapse_duplicate_genes(
    genes: Sequence[str], values: np.ndarray, where: str | os.PathLike
) -> tuple[list[str], np.ndarray]:
    """Keep one row per gene: of the rows with a value in every sample, the one with the highest
    mean expression over the samples.

    This is the usual rule for probe sets of one gene (the most highly expressed probe set is the
    most reliable); a row with missing values comes after every complete one (a gene with missing
    values is left out later, :func:`deepmodules.data.normalize.complete_genes`), a row with no
    value counts as the lowest, ties keep the first row. Rows that mapped to the same symbol
    (:func:`deepmodules.data.compendium.gene_symbols`) merge the same way. The kept rows stay in
    file order; the number of genes on several rows is logged. ``values`` is samples × genes.
    """
    genes = list(genes)
    duplicated = pd.Index(genes).duplicated(keep=False)
    if not duplicated.any():
        return genes, values
    rows = np.flatnonzero(duplicated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row of NaN has no mean
        means = np.nanmean(np.asarray(values[:, rows], dtype=np.float64), axis=0)
    candidates = pd.DataFrame(
        {
            "gene": np.asarray(genes, dtype=object)[rows],
            "complete": np.isfinite(values[:, rows]).all(axis=0),
            "mean": np.nan_to_num(means, nan=-np.inf),
        },
        index=rows,
    )
    best = candidates.sort_values(
        ["complete", "mean"], ascending=False, kind="stable"
    ).drop_duplicates("gene")
    keep = np.sort(np.concatenate([np.flatnonzero(~duplicated), best.index.to_numpy()]))
    log.info(
        "%s: %d genes are on more than one row (%d rows); kept the row with the highest mean "
        "expression of each",
        where,
        len(best),
        len(rows),
    )
    return [genes[i] for i in keep], values[:, keep]


def normalize_gene_id(gene_id: str) -> str:
    """An identifier without what changes between releases, so that it matches a mapping table.

    Ensembl versions are stripped (``ENSG00000141510.16`` → ``ENSG00000141510``) and Entrez-based
    custom-CDF probe sets become their Entrez id (``7157_at`` → ``7157``).
    """
    text = gene_id.strip()
    for pattern in (ENSEMBL_VERSION, ENTREZ_PROBE_SET):
        if match := pattern.match(text):
            return match.group(1)
    return text


def read_gene_mapping(
    path: str | os.PathLike, id_column: str, symbol_column: str
) -> tuple[dict[str, str], int]:
    """Read a tab-separated identifier → gene symbol table (with a header), e.g. a biomaRt export
    or a GEO platform table (the ``#`` description lines above its header are skipped).

    Identifiers are normalized by :func:`normalize_gene_id`. An identifier is ambiguous, and left
    out, when its symbol names several genes (``A /// B``) or when its rows give different symbols.
    Rows with an empty symbol are left out. Returns the mapping and the number of ambiguous ids.
    A table is read once per process and version of the file (its size and modification time), so
    the mapping returned is shared and must not be changed.
    """
    require_file(path)
    version = os.stat(path)
    return _gene_mapping(
        os.fspath(path), version.st_size, version.st_mtime_ns, id_column, symbol_column
    )


@functools.lru_cache(maxsize=8)
def _gene_mapping(
    path: str, _size: int, _modified: int, id_column: str, symbol_column: str
) -> tuple[dict[str, str], int]:
    """:func:`read_gene_mapping` of one version of the file."""
    table = read_table(
        path,
        [id_column, symbol_column],
        "gene id table",
        "set datasets.*.gene_ids.from and gene_ids.to to columns of this table",
        skip_comments=True,
    )
    pairs = pd.DataFrame(
        {
            "id": table[id_column].map(normalize_gene_id),
            "symbol": table[symbol_column].str.strip(),
        }
    )
    pairs = pairs[(pairs["id"] != "") & (pairs["symbol"] != "")].drop_duplicates()
    several = pairs["symbol"].str.contains(SEVERAL_SYMBOLS) | pairs["id"].duplicated(keep=False)
    ambiguous = set(pairs.loc[several, "id"])
    pairs = pairs[~pairs["id"].isin(ambiguous)]
    return dict(zip(pairs["id"], pairs["symbol"], strict=True)), len(ambiguous)


# Without a mapping table, a matrix whose rows are mostly identifiers rather than symbols is refused.
MAX_IDENTIFIER_SHARE = 0.5


def row_symbols(ids: list[str], gene_ids: dict | None, where: str) -> list[str | None]:
    """The gene symbol of each of a matrix's row ids; None where a row has none.

    Without ``gene_ids`` the ids are taken as symbols (a matrix whose ids mostly look like Ensembl,
    Entrez or probe-set ids is refused). With it, ids are normalized (:func:`normalize_gene_id`)
    and looked up in the table ``gene_ids["mapping"]`` (column ``from`` → column ``to``); rows with
    no or an ambiguous symbol get None, and fewer than ``min_mapped`` of the rows mapped is refused.
    """
    if gene_ids is None:
        share = looks_like_identifiers(ids)
        if share > MAX_IDENTIFIER_SHARE:
            raise InputError(
                where,
                f"{share:.0%} of the row ids look like Ensembl, Entrez or probe-set ids, not gene "
                f"symbols (e.g. {', '.join(ids[:3])})",
                "set datasets.*.gene_ids to a table that maps these ids to gene symbols",
            )
        return list(ids)
    mapping, n_ambiguous = read_gene_mapping(gene_ids["mapping"], gene_ids["from"], gene_ids["to"])
    symbols = [mapping.get(normalize_gene_id(i)) for i in ids]
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
    return symbols


def looks_like_identifiers(ids: Sequence[str]) -> float:
    """The share of ``ids`` that are Ensembl ids, Entrez ids or probe sets rather than symbols."""
    if not len(ids):
        return 0.0
    return sum(bool(IDENTIFIER_PATTERN.fullmatch(i.strip())) for i in ids) / len(ids)
