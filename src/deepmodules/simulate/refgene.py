"""Writer of the UCSC refGene stand-in: one transcript per gene, with UCSC bins and exon frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.simulate.files import _gzip_text
from deepmodules.simulate.params import CHROMOSOME_MB


def ucsc_bin(start: int, end: int) -> int:
    """The UCSC bin of a 0-based half-open interval (standard scheme, extended beyond 512 Mb)."""
    if end <= 1 << 29:
        offsets, extended = (585, 73, 9, 1, 0), 0
    else:
        offsets, extended = (4681, 585, 73, 9, 1, 0), 4681
    start_bin, end_bin = start >> 17, (end - 1) >> 17
    for offset in offsets:
        if start_bin == end_bin:
            return extended + offset + start_bin
        start_bin, end_bin = start_bin >> 3, end_bin >> 3
    raise ValueError(f"interval {start}-{end} is beyond the binning range")


def _exon_frames(
    starts: list[int], ends: list[int], cds_start: int, cds_end: int, strand: str
) -> list[int]:
    """genePred exonFrames: reading frame at each coding exon's 5' end, -1 for non-coding exons."""
    frames = [-1] * len(starts)
    coding = 0
    order = range(len(starts)) if strand == "+" else reversed(range(len(starts)))
    for i in order:
        low, high = max(starts[i], cds_start), min(ends[i], cds_end)
        if low < high:
            frames[i] = coding % 3
            coding += high - low
    return frames


def _transcript(
    rng: np.random.Generator, p: dict, start: int, end: int, strand: str
) -> tuple[list[int], list[int], int, int]:
    """Exons (starts, ends) spanning [start, end) and a CDS from the first to the last exon."""
    n_exons = int(rng.integers(p["exon_count_range"][0], p["exon_count_range"][1] + 1))
    cuts = np.sort(rng.choice(end - start - 1, 2 * (n_exons - 1), replace=False)) + start + 1
    starts = [start, *cuts[1::2].tolist()]
    ends = [*cuts[0::2].tolist(), end]
    cds_start = starts[0] + int(rng.integers(0, ends[0] - starts[0]))
    cds_end = starts[-1] + int(rng.integers(1, ends[-1] - starts[-1] + 1))
    return starts, ends, cds_start, cds_end


def _write_refgene(
    path: Path, p: dict, symbols: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Place genes on the simulated genome and write refGene; return each gene's body.

    The body (``chrom``, 0-based ``start``, ``end``) spans all transcripts of the gene.
    """
    n_genes = len(symbols)
    chromosomes = list(CHROMOSOME_MB)
    weights = np.array(list(CHROMOSOME_MB.values()), dtype=float)
    counts = rng.multinomial(n_genes, weights / weights.sum())
    low, high = p["gene_length_range"]
    if p["gene_length_log_sd"] is None:
        lengths = rng.integers(low, high + 1, size=n_genes)
    else:
        log_lengths = rng.normal(np.log(low * high) / 2, p["gene_length_log_sd"], size=n_genes)
        lengths = np.clip(np.exp(log_lengths), low, high).astype(np.int64)
    gaps = p["gene_spacing_min"] + rng.integers(0, p["gene_spacing_jitter"] + 1, size=n_genes)
    order = rng.permutation(n_genes)
    chrom = np.empty(n_genes, dtype=object)
    start = np.empty(n_genes, dtype=np.int64)
    first = 0
    for chromosome, count in zip(chromosomes, counts, strict=True):
        genes = order[first : first + count]
        first += count
        chrom[genes] = chromosome
        start[genes] = np.cumsum(gaps[genes]) + np.cumsum(lengths[genes]) - lengths[genes]
    end = start + lengths
    strand = np.where(rng.random(n_genes) < 0.5, "+", "-")

    rows = []
    for g in order.tolist():
        spans = [(int(start[g]), int(end[g]))]
        if rng.random() < p["two_transcript_fraction"]:
            trim = int(rng.integers(1, lengths[g] * 3 // 10))
            tx_start, tx_end = spans[0]
            spans.append(
                (tx_start + trim, tx_end) if rng.random() < 0.5 else (tx_start, tx_end - trim)
            )
        for tx_start, tx_end in spans:
            starts, ends, cds_start, cds_end = _transcript(rng, p, tx_start, tx_end, strand[g])
            frames = _exon_frames(starts, ends, cds_start, cds_end, strand[g])
            fields = [
                ucsc_bin(tx_start, tx_end),
                f"NM_{len(rows) + 1:06d}",
                f"chr{chrom[g]}",
                strand[g],
                tx_start,
                tx_end,
                cds_start,
                cds_end,
                len(starts),
                "".join(f"{s}," for s in starts),
                "".join(f"{e}," for e in ends),
                0,
                symbols[g],
                "cmpl",
                "cmpl",
                "".join(f"{f}," for f in frames),
            ]
            rows.append("\t".join(map(str, fields)) + "\n")
    body = pd.DataFrame({"chrom": chrom, "start": start, "end": end})
    with _gzip_text(path) as text:
        text.writelines(rows)
    return body
