"""The ARCHS4 RNA-seq compendium out of core: sample and gene selection, and streamed normalization.

The ARCHS4 human gene file holds about 720,000 samples × 67,186 genes (``data/expression``, genes ×
samples uint32 in gzip chunks), far more than memory. :func:`select` chooses the samples from the
metadata alone, before any count is read: bulk samples (single-cell probability below
``single_cell_threshold``), minus every sample of the series in ``exclude_series``, restricted to the
GEO accessions of ``samples_file`` if given, then ``n_samples`` of them drawn with the config's seed.
Rows of one gene symbol (after ``gene_ids``) are summed: the counts of the rows of symbol g in
sample i are c_ig = Σ_{r: symbol(r) = g} c_ir.

Normalization is that of :func:`deepmodules.data.normalize.log_counts` and ``fit_range`` /
``apply_range``, in three sequential passes whose memory depends on the block size and the gene
count, never on the number of samples:

1. :func:`stream_ratios` reads the counts once, in column blocks aligned to the HDF5 chunks and in
   chunk order; each block holds every gene of its samples, so the upper quartile q_i of each sample
   (:func:`~deepmodules.data.normalize.upper_quartiles`) is computed there, and r_ij = c_ij / q_i is
   appended to a float32 samples × genes .npy file (the compendium's ``expression.npy``), keeping each
   gene's smallest and largest ratio. With the reference q̄ = mean_i q_i, the log values are
   E_ij = log2(1 + q̄ r_ij), set to 0 below the noise floor
   (:func:`~deepmodules.data.normalize.log_transform`); E is non-decreasing in r, so min_i E_ij and
   max_i E_ij are E at the smallest and largest ratio (:meth:`Ratios.log_range`);
2. only when a gene filter is set (:func:`filters_genes`), :func:`gene_statistics` reads the file
   for each gene's mean E_ij and fraction of samples above the floor (:func:`gene_filter`);
3. :func:`write_scaled` reads it and overwrites it, in place, with
   e_ij = (E_ij - min_j) / (max_j - min_j) of the kept genes.

E_ij and e_ij are computed in float32, the precision of the compendium; they match the float64
in-memory path to about 1e-6.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from deepmodules.data import identifiers, normalize, sources
from deepmodules.errors import InputError, readable, require_file

log = logging.getLogger(__name__)

# Values (genes × samples) per block of counts or ratios processed at a time.
BLOCK_VALUES = 4_000_000
# Bytes of the .npy header of the streamed matrix (a multiple of 64, as the format asks).
HEADER_BYTES = 128


@dataclass
class Selection:
    """The samples and genes of an ARCHS4 compendium, chosen before any count is read.

    ``columns`` are the samples' columns of ``data/expression`` (increasing); ``genes`` are the
    symbols, and ``rows`` / ``starts`` group the file's rows by symbol: the rows of gene g are
    ``rows[starts[g]:starts[g + 1]]``.
    """

    columns: np.ndarray
    genes: list[str]
    rows: np.ndarray
    starts: np.ndarray
    n_file_genes: int

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.columns), len(self.genes)

    def merge(self, counts: np.ndarray) -> np.ndarray:
        """Sum the columns of each symbol in a samples × file-genes block (samples × genes)."""
        if len(self.genes) == self.n_file_genes:  # one row per symbol, in file order
            return counts
        return np.add.reduceat(counts[:, self.rows], self.starts, axis=1, dtype=np.uint64)


def read_samples_file(path: str | Path) -> list[str]:
    """GEO accessions, one per line (the first tab-separated field; blank and ``#`` lines skipped)."""
    require_file(path)
    with open(path, encoding="utf-8") as handle:
        fields = [line.split("\t")[0].strip() for line in handle]
    return list(dict.fromkeys(f for f in fields if f and not f.startswith("#")))


def _series_members(series: pd.Series, excluded: set[str]) -> np.ndarray:
    """Whether each sample belongs to one of the ``excluded`` series (a field may list several)."""
    return series.map(lambda text: not excluded.isdisjoint(sources.series_ids(text))).to_numpy(
        dtype=bool
    )


def select_samples(meta: pd.DataFrame, spec: dict, seed: int, where: str) -> np.ndarray:
    """The file columns of the compendium's samples, in increasing order.

    Bulk samples (``singlecellprobability`` below ``single_cell_threshold``), minus those of the
    series in ``exclude_series``; then the accessions of ``samples_file`` (every one must be in the
    file; those the filters drop are logged); then ``n_samples`` of them drawn without replacement
    by a generator seeded with ``seed``. An excluded series that no sample names is logged as a
    warning: excluding it changes nothing.
    """
    candidates = meta["singlecellprobability"].to_numpy() < spec["single_cell_threshold"]
    n_bulk = int(candidates.sum())
    excluded = set(spec["exclude_series"])
    if excluded:
        members = _series_members(meta["series_id"], excluded)
        present = set(sources.series_ids(",".join(meta.loc[members, "series_id"])))
        absent = sorted(excluded - present)
        if absent:
            log.warning(
                "%s: %d series of exclude_series name no sample of the file (e.g. %s)",
                where,
                len(absent),
                ", ".join(absent[:5]),
            )
        candidates &= ~members
    log.info(
        "%s: %d of %d samples are bulk; %d remain after exclude_series",
        where,
        n_bulk,
        len(meta),
        int(candidates.sum()),
    )
    if spec["samples_file"]:
        requested = read_samples_file(spec["samples_file"])
        position = pd.Series(np.arange(len(meta)), index=meta["geo_accession"])
        absent = [s for s in requested if s not in position.index]
        if absent or not requested:
            raise InputError(
                spec["samples_file"],
                f"{len(absent)} of {len(requested)} accessions are not samples of {where}"
                + (f" (e.g. {', '.join(absent[:5])})" if absent else ""),
                "list GEO sample accessions (GSM…) of this ARCHS4 file, one per line",
            )
        chosen = np.zeros(len(meta), dtype=bool)
        chosen[position[requested].to_numpy()] = True
        n_dropped = int((chosen & ~candidates).sum())
        if n_dropped:
            log.warning(
                "%s: %d of its %d samples are single-cell or in exclude_series and left out",
                spec["samples_file"],
                n_dropped,
                len(requested),
            )
        candidates &= chosen
    columns = np.flatnonzero(candidates)
    n = spec["n_samples"]
    if n is None:
        return columns
    if n > len(columns):
        raise InputError(
            where,
            f"n_samples = {n} but only {len(columns)} samples remain after the single-cell "
            "filter, exclude_series and samples_file",
            "lower datasets.*.n_samples (or set it to null for all of them)",
        )
    return np.sort(np.random.default_rng(seed).choice(columns, n, replace=False))


def select(spec: dict, seed: int) -> tuple[Selection, pd.DataFrame]:
    """Choose the samples (:func:`select_samples`) and group the file's rows by gene symbol.

    Returns the selection and the metadata rows of its samples, in its order.
    """
    path = Path(spec["matrix"])
    require_file(path)
    with readable(path), h5py.File(path, "r") as h5:
        ids, meta = sources._archs4_metadata(h5, path)
    columns = select_samples(meta, spec, seed, str(path))
    genes, rows, starts = symbol_groups(ids, spec.get("gene_ids"), str(path))
    selection = Selection(columns, genes, rows, starts, len(ids))
    return selection, meta.iloc[columns].reset_index(drop=True)


def symbol_groups(
    ids: list[str], gene_ids: dict | None, where: str
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The symbols of a file's row ids and their rows (``rows``, ``starts`` of :class:`Selection`)."""
    symbols = identifiers.row_symbols(ids, gene_ids, where)
    genes = pd.Index([s for s in symbols if s is not None]).unique()
    group = genes.get_indexer(pd.Index(symbols, dtype=object))
    rows = np.flatnonzero(group >= 0)
    rows = rows[np.argsort(group[rows], kind="stable")]
    starts = np.searchsorted(group[rows], np.arange(len(genes)))
    n_merged = int((np.diff(np.append(starts, len(rows))) > 1).sum())
    if n_merged:
        log.info(
            "%s: %d genes are on more than one row (%d rows); their counts are summed",
            where,
            n_merged,
            len(rows) - len(genes) + n_merged,
        )
    return list(genes), rows, starts


def counts_by_symbol(
    ids: list[str], counts: np.ndarray, gene_ids: dict | None, where: str
) -> tuple[list[str], np.ndarray]:
    """Samples × file-rows counts as samples × symbols, rows of one symbol summed (a series' counts)."""
    genes, rows, starts = symbol_groups(ids, gene_ids, where)
    selection = Selection(np.arange(len(counts)), genes, rows, starts, len(ids))
    return genes, selection.merge(counts)


def column_blocks(expression: h5py.Dataset, columns: np.ndarray):
    """``(start, stop, positions)`` of each block of whole chunk columns holding selected samples.

    A block spans at most as many chunk columns as fit ``BLOCK_VALUES`` (at least one), from the
    chunk of its first selected column to that of its last; blocks come in chunk order, and
    ``positions`` are the selected columns of the block relative to ``start``.
    """
    n_genes, n_columns = expression.shape
    chunk = expression.chunks[1] if expression.chunks else 256
    width = chunk * max(1, BLOCK_VALUES // (chunk * n_genes))
    block_of = columns // width
    bounds = np.searchsorted(block_of, np.unique(block_of))
    for first, last in zip(bounds, [*bounds[1:], len(columns)], strict=True):
        start = int(columns[first]) // chunk * chunk
        stop = min((int(columns[last - 1]) // chunk + 1) * chunk, n_columns)
        yield start, stop, columns[first:last] - start


def npy_header(shape: tuple[int, int]) -> bytes:
    """The ``HEADER_BYTES``-long .npy (version 1.0) header of a float32 C-order array of ``shape``.

    Of fixed length, so that the shape can be rewritten in place once the kept genes are known.
    """
    text = repr({"descr": "<f4", "fortran_order": False, "shape": tuple(map(int, shape))})
    body = text.ljust(HEADER_BYTES - 11) + "\n"
    return (
        np.lib.format.MAGIC_PREFIX + b"\x01\x00" + len(body).to_bytes(2, "little") + body.encode()
    )


@dataclass
class Ratios:
    """What pass 1 leaves besides the ratio file: each sample's upper quartile q_i and each gene's
    smallest and largest ratio r_ij over the samples."""

    quartiles: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def reference(self) -> float:
        """The upper-quartile reference q̄ = mean_i q_i."""
        return float(self.quartiles.mean())

    def log_range(self, noise_floor: float) -> tuple[np.ndarray, np.ndarray]:
        """min_i E_ij and max_i E_ij of every gene: E is non-decreasing in r, so they are E at the
        smallest and at the largest ratio."""
        low, high = (_logged(r, self.reference, noise_floor) for r in (self.low, self.high))
        return low.astype(np.float64), high.astype(np.float64)


def _write_ratios(block: np.ndarray, positions: np.ndarray, selection: Selection, handle, found):
    """Normalize the selected columns of a block of counts, about ``BLOCK_VALUES`` at a time,
    append r_ij = c_ij / q_i to ``handle`` and update the genes' ratio range in ``found``."""
    step = max(1, BLOCK_VALUES // block.shape[0])
    for first in range(0, len(positions), step):
        part = positions[first : first + step]
        if part[-1] - part[0] == len(part) - 1:  # consecutive columns: no gather
            part = slice(part[0], part[-1] + 1)
        counts = selection.merge(np.ascontiguousarray(block[:, part].T))
        q = normalize.upper_quartiles(counts)
        ratios = np.empty(counts.shape, dtype=np.float32)
        np.divide(counts, q[:, None], out=ratios, casting="unsafe")
        ratios.tofile(handle)
        found["quartiles"].append(q)
        np.minimum(found["low"], ratios.min(axis=0), out=found["low"])
        np.maximum(found["high"], ratios.max(axis=0), out=found["high"])


def stream_ratios(expression: h5py.Dataset, selection: Selection, out: Path) -> Ratios:
    """Pass 1: write r_ij = c_ij / q_i as a float32 samples × genes .npy file ``out``.

    ``expression`` is the genes × samples count dataset, read once in :func:`column_blocks`. While a
    block is normalized and written (:func:`_write_ratios`, in a second thread, numpy releasing the
    interpreter lock), the next one is read: at most two blocks are held at a time.
    """
    n_genes = selection.shape[1]
    found = {
        "quartiles": [np.empty(0)],
        "low": np.full(n_genes, np.inf, dtype=np.float32),
        "high": np.full(n_genes, -np.inf, dtype=np.float32),
    }
    with open(out, "wb") as handle, ThreadPoolExecutor(max_workers=1) as pool:
        handle.write(npy_header(selection.shape))
        pending = None
        for start, stop, positions in column_blocks(expression, selection.columns):
            block = expression[:, start:stop]
            if pending is not None:
                pending.result()
            pending = pool.submit(_write_ratios, block, positions, selection, handle, found)
        if pending is not None:
            pending.result()
    return Ratios(np.concatenate(found["quartiles"]), found["low"], found["high"])


def _ratio_blocks(handle, shape: tuple[int, int]):
    """The rows of the float32 samples × genes .npy file open as ``handle``, about
    ``BLOCK_VALUES`` values at a time."""
    n_samples, n_genes = shape
    rows = max(1, BLOCK_VALUES // n_genes)
    for start in range(0, n_samples, rows):
        handle.seek(HEADER_BYTES + 4 * start * n_genes)
        count = min(rows, n_samples - start) * n_genes
        yield np.fromfile(handle, dtype=np.float32, count=count).reshape(-1, n_genes)


def _logged(ratios: np.ndarray, reference: float, noise_floor: float) -> np.ndarray:
    """E_ij = log2(1 + q̄ r_ij), 0 below the noise floor, in float32 like the ratios."""
    return normalize.log_transform(ratios * np.float32(reference), noise_floor)


def filters_genes(spec: dict) -> bool:
    """Whether the dataset's gene filter can drop a gene (else pass 2 is not needed)."""
    return (
        spec["min_mean_log_expression"] > 0
        or spec["min_expressed_fraction"] > 0
        or spec["max_genes"] is not None
    )


def gene_statistics(
    path: Path, shape: tuple[int, int], reference: float, noise_floor: float
) -> pd.DataFrame:
    """Pass 2: per gene, the mean of E_ij and the fraction of samples with E_ij > 0."""
    total, expressed = np.zeros(shape[1]), np.zeros(shape[1])
    with open(path, "rb") as handle:
        for ratios in _ratio_blocks(handle, shape):
            logged = _logged(ratios, reference, noise_floor)
            total += logged.sum(axis=0, dtype=np.float64)
            expressed += np.count_nonzero(logged, axis=0)  # E_ij >= 0
    return pd.DataFrame({"mean": total / shape[0], "expressed": expressed / shape[0]})


def gene_filter(statistics: pd.DataFrame, spec: dict, where: str) -> np.ndarray:
    """Genes kept: mean E_ij ≥ ``min_mean_log_expression`` and a fraction of samples above the
    noise floor ≥ ``min_expressed_fraction``; of those, the ``max_genes`` of highest mean (ties in
    file order). A filter that keeps no gene is refused."""
    keep = (statistics["mean"] >= spec["min_mean_log_expression"]) & (
        statistics["expressed"] >= spec["min_expressed_fraction"]
    )
    keep = keep.to_numpy().copy()
    if not keep.any():
        raise InputError(
            where,
            f"no gene has a mean log expression >= {spec['min_mean_log_expression']} and is "
            f"above the noise floor in >= {spec['min_expressed_fraction']} of the samples "
            f"(highest mean {statistics['mean'].max():.3g}, highest fraction "
            f"{statistics['expressed'].max():.3g})",
            "lower datasets.*.min_mean_log_expression or datasets.*.min_expressed_fraction",
        )
    if spec["max_genes"] is not None and keep.sum() > spec["max_genes"]:
        ranked = np.flatnonzero(keep)[
            np.argsort(-statistics["mean"].to_numpy()[keep], kind="stable")
        ]
        keep[:] = False
        keep[ranked[: spec["max_genes"]]] = True
    log.info("%s: %d of %d genes pass the gene filter", where, keep.sum(), len(keep))
    return keep


def write_scaled(
    path: Path,
    shape: tuple[int, int],
    keep: np.ndarray,
    reference: float,
    noise_floor: float,
    gene_range: normalize.GeneRange,
) -> None:
    """Pass 3: overwrite the ratio file ``path`` with the min-max scaled E_ij of the ``keep`` genes.

    Row block b is written at the start of the rows b's ratios were read from or before, so the
    file turns into the compendium's samples × kept genes .npy in place (then truncated). The
    range is applied in float32, the precision of E_ij and of the result.
    """
    range32 = normalize.GeneRange(
        gene_range.genes,
        gene_range.minimum.astype(np.float32),
        gene_range.maximum.astype(np.float32),
    )
    n_kept = int(keep.sum())
    written = HEADER_BYTES
    with open(path, "r+b") as handle:
        for ratios in _ratio_blocks(handle, shape):
            if n_kept < shape[1]:
                ratios = np.compress(keep, ratios, axis=1)  # C order, as the file
            logged = _logged(ratios, reference, noise_floor)
            handle.seek(written)
            normalize.apply_range(logged, range32).tofile(handle)
            written += 4 * logged.size
        handle.truncate(written)
        handle.seek(0)
        handle.write(npy_header((shape[0], n_kept)))
