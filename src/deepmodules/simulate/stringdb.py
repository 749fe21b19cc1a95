"""Writer of the STRING v12 stand-in: protein links (combined scores 0-1000) and protein info files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepmodules.simulate.files import STRING_INFO_FILE, STRING_LINKS_FILE, _gzip_text
from deepmodules.simulate.model import _merge_edges, _scores


def _protein_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    numbers = rng.choice(10 * n + 1000, size=n, replace=False) + 1
    return np.array([f"9606.ENSP{number:011d}" for number in numbers])


def _write_string(
    outdir: Path, p: dict, symbols: list[str], edges: np.ndarray, rng: np.random.Generator
) -> None:
    """STRING links and protein info.

    Each gene has one protein, some two (each edge end goes to one of them at random); a few
    extra proteins carry symbols absent from the expression data and only noise edges.
    """
    n_genes = len(symbols)
    second = np.flatnonzero(rng.random(n_genes) < p["two_protein_fraction"])
    n_unmatched = round(p["unmatched_protein_fraction"] * n_genes)
    n_proteins = n_genes + len(second) + n_unmatched
    ids = _protein_ids(rng, n_proteins)
    names = (
        symbols + [symbols[g] for g in second] + [f"LOC{100_001 + i}" for i in range(n_unmatched)]
    )

    other = np.full(n_genes, -1)
    other[second] = n_genes + np.arange(len(second))
    ends = edges[:, :2].copy()
    swap = (other[ends] >= 0) & (rng.random(ends.shape) < 0.5)
    ends[swap] = other[ends[swap]]
    unmatched = n_genes + len(second) + np.repeat(np.arange(n_unmatched), 3)
    noise = np.column_stack(
        [
            unmatched,
            rng.integers(n_genes, size=len(unmatched)),
            _scores(rng, len(unmatched), p["noise_score_range"]),
        ]
    )
    links = _merge_edges([np.column_stack([ends, edges[:, 2]]), noise], n_proteins)
    both = np.vstack([links, links[:, [1, 0, 2]]])
    both = both[np.lexsort((ids[both[:, 1]], ids[both[:, 0]]))]
    with _gzip_text(outdir / STRING_LINKS_FILE) as text:
        text.write("protein1 protein2 combined_score\n")
        text.writelines(f"{ids[a]} {ids[b]} {score}\n" for a, b, score in both.tolist())

    sizes = rng.integers(80, 3000, size=n_proteins)
    with _gzip_text(outdir / STRING_INFO_FILE) as text:
        text.write("#string_protein_id\tpreferred_name\tprotein_size\tannotation\n")
        for i in np.argsort(ids):
            text.write(f"{ids[i]}\t{names[i]}\t{sizes[i]}\t{names[i]} protein; function unknown.\n")
