"""The STRING interactome as an undirected gene network (paper, Methods: "Protein-protein interaction
network"): proteins mapped to HGNC symbols by the info file's preferred names, links kept at
combined_score >= network.min_score, unweighted.
"""

from __future__ import annotations

import csv
import gzip
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from deepmodules.errors import InputError, readable

LINKS_HEADER = ["protein1", "protein2", "combined_score"]
# The protein id column of the info file is named differently across STRING versions (v11: the last).
INFO_ID_COLUMNS = ("#string_protein_id", "string_protein_id", "protein_external_id")
INFO_NAME_COLUMN = "preferred_name"


@dataclass(frozen=True)
class Network:
    """An undirected, unweighted gene network.

    genes: node names; index: gene -> row of `adjacency`; adjacency: symmetric 0/1 CSR matrix
    (float64, as scipy.sparse.csgraph uses it) without self loops.
    """

    genes: list[str]
    index: dict[str, int]
    adjacency: sparse.csr_array

    @classmethod
    def from_edges(cls, genes: Sequence[str], edges: Iterable[tuple[str, str]]) -> Network:
        """Network on `genes` with the given edges (both directions implied, self loops dropped)."""
        genes = list(genes)
        index = {gene: i for i, gene in enumerate(genes)}
        pairs = np.array([(index[a], index[b]) for a, b in edges], dtype=np.int64).reshape(-1, 2)
        return cls._from_index_pairs(genes, pairs[:, 0], pairs[:, 1])

    @classmethod
    def _from_index_pairs(cls, genes: list[str], rows: np.ndarray, cols: np.ndarray) -> Network:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
        n = len(genes)
        ones = np.ones(2 * len(rows))
        adjacency = sparse.coo_array(
            (ones, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
        ).tocsr()
        adjacency.sum_duplicates()
        adjacency.data[:] = 1
        return cls(genes, {gene: i for i, gene in enumerate(genes)}, adjacency)

    @property
    def n_edges(self) -> int:
        return self.adjacency.nnz // 2


def _check_header(path: str | os.PathLike, found: list[str], expected: list[str]) -> None:
    if found[: len(expected)] != expected:
        raise InputError(
            path,
            f"unexpected header {found!r}, expected it to start with {expected!r}",
            "pass the STRING v12 file itself (9606.protein.links.v12.0.txt.gz / "
            "9606.protein.info.v12.0.txt.gz), not a reformatted copy",
        )


def _first_line(path: str | os.PathLike, sep: str) -> list[str]:
    with readable(path), gzip.open(path, "rt") as handle:
        return handle.readline().rstrip("\r\n").split(sep)


def read_string_names(info_path: str | os.PathLike) -> pd.Series:
    """Gene symbol of every named protein of a STRING info file, indexed by protein id.

    The id column may be ``#string_protein_id`` (v11.5, v12) or ``protein_external_id`` (v11);
    the symbol is ``preferred_name``. Proteins whose name is empty or the id itself are left out; a
    protein listed twice keeps its first name.
    """
    header = _first_line(info_path, "\t")
    if header[0] not in INFO_ID_COLUMNS or header[1:2] != [INFO_NAME_COLUMN]:
        _check_header(info_path, header, [INFO_ID_COLUMNS[0], INFO_NAME_COLUMN])
    with readable(info_path):
        info = pd.read_csv(
            info_path, sep="\t", usecols=header[:2], dtype=str, quoting=csv.QUOTE_NONE
        ).dropna()
    protein, name = info[header[0]], info[INFO_NAME_COLUMN].str.strip()
    named = (name != "") & (name != protein) & ~protein.duplicated()
    return pd.Series(name[named].to_numpy(), index=protein[named].to_numpy())


def read_string(
    links_path: str | os.PathLike,
    info_path: str | os.PathLike,
    min_score: int,
    min_shared_genes: int,
    genes: Iterable[str] | None = None,
    chunksize: int = 1_000_000,
) -> Network:
    """Gene network from STRING protein links.

    Proteins map to genes by `preferred_name` of the info file (:func:`read_string_names`); several
    proteins of one gene (isoforms, or one symbol given to two ids) become one node, its edges the
    union of theirs, and edges between them (self loops) are dropped. Edges with
    `combined_score >= min_score` (STRING scores are 0-1000; 400 is STRING's "medium confidence")
    are kept, unweighted. The nodes are all named STRING proteins' genes (restricted to `genes` when
    given), so genes without a kept edge, or without any link, are isolated nodes: infinitely far
    from every other gene. Proteins of the links file that are not in the info file, or have no
    name there, are counted in a warning and their links left out.

    A network without any kept edge would put every gene infinitely far from every other and is
    refused: a links file with a header and no links, scores on 0-1 instead of 0-1000, a
    ``min_score`` above every score, or no kept link between two of ``genes``.
    """
    _check_header(links_path, _first_line(links_path, " "), LINKS_HEADER)
    symbol_of = read_string_names(info_path)

    symbols = set(symbol_of)
    if genes is not None:
        symbols &= set(genes)
    if len(symbols) < min_shared_genes:
        raise InputError(
            info_path,
            f"only {len(symbols)} genes are shared between STRING and the expressed genes "
            f"(need at least {min_shared_genes})",
            "check that genes are HGNC symbols of human (9606) proteins, or lower min_shared_genes",
        )
    gene_list = sorted(symbols)
    node_of = symbol_of.map({gene: i for i, gene in enumerate(gene_list)}).dropna().astype(np.int64)

    rows, cols, unnamed = [], [], set()
    n_links, n_kept, top_score = 0, 0, 0.0
    with readable(links_path):
        reader = pd.read_csv(
            links_path, sep=" ", dtype={"protein1": str, "protein2": str}, chunksize=chunksize
        )
        for chunk in reader:
            score = pd.to_numeric(chunk["combined_score"], errors="coerce")
            bad = ~score.between(0, 1000)
            if bad.any():
                raise InputError(
                    links_path,
                    f"combined_score {chunk['combined_score'][bad].iloc[0]!r} is not a number in 0-1000",
                    "use the combined_score column of the STRING links file unchanged",
                )
            proteins = pd.unique(pd.concat([chunk["protein1"], chunk["protein2"]]))
            unnamed.update(proteins[~pd.Index(proteins).isin(symbol_of.index)])

            kept = chunk[score >= min_score]
            n_links, n_kept = n_links + len(chunk), n_kept + len(kept)
            top_score = max(top_score, float(score.max()))
            a = kept["protein1"].map(node_of)
            b = kept["protein2"].map(node_of)
            both = a.notna() & b.notna()
            rows.append(a[both].to_numpy(np.int64))
            cols.append(b[both].to_numpy(np.int64))

    if unnamed:
        warnings.warn(
            f"{links_path}: {len(unnamed)} proteins have no gene name in {info_path}; "
            "their links are left out",
            stacklevel=2,
        )
    network = Network._from_index_pairs(
        gene_list,
        np.concatenate(rows) if rows else np.empty(0, np.int64),
        np.concatenate(cols) if cols else np.empty(0, np.int64),
    )
    if network.n_edges == 0:
        raise InputError(links_path, *_no_edges(n_links, n_kept, top_score, min_score))
    return network


def _no_edges(n_links: int, n_kept: int, top_score: float, min_score: int) -> tuple[str, str]:
    """The problem and the fix of a network left without edges."""
    if n_links == 0:
        return "has a header but no links", "pass the full STRING links file"
    if n_kept == 0 and top_score <= 1:
        return (
            f"scores are on 0-1 (highest {top_score:g}), STRING's combined_score is on 0-1000, so no "
            f"link reaches min_score = {min_score}",
            "use STRING's integer combined_score (0-1000) unchanged, not a probability",
        )
    if n_kept == 0:
        return (
            f"none of its {n_links} links has combined_score >= min_score = {min_score} "
            f"(highest {top_score:g})",
            "lower network.min_score",
        )
    return (
        f"none of the {n_kept} links with combined_score >= {min_score} joins two genes of the "
        "expression matrix",
        "check that the network and the matrix use the same gene symbols (human HGNC)",
    )
