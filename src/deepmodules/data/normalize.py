"""Expression normalization and the train/test split (paper, Methods: "Data preparation and normalization").

Microarray values are already log-scale. RNA-seq counts are upper-quartile normalized, log-transformed as
log2(1 + x) and values below a noise floor (3.0 in the paper) are set to zero (:func:`log_counts`). Both
are then rescaled per gene to the unit interval,

    e_ij = (E_ij - min_j E_ij) / (max_j E_ij - min_j E_ij),

so that a sigmoid output layer can reproduce them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deepmodules.errors import InputError

log = logging.getLogger(__name__)

# Above this share of missing values a sample, or a matrix's genes, are refused (complete_genes).
MAX_MISSING_SHARE = 0.5
# log2 of anything measured (intensities, counts) stays far below this; larger values are raw.
MAX_LOG2_VALUE = 100.0


@dataclass
class GeneRange:
    """Per-gene minima and maxima of the training compendium, reused for external datasets."""

    genes: list[str]
    minimum: np.ndarray
    maximum: np.ndarray

    @property
    def span(self) -> np.ndarray:
        """max_j - min_j of every gene: one unit of the min-max scaled axis, in the data's units."""
        return self.maximum - self.minimum


def complete_genes(
    values: np.ndarray, genes: list[str], samples: list[str], where: str
) -> np.ndarray:
    """The genes with a value in every sample: a mask over the columns of ``values`` (samples × genes).

    Real matrices leave cells empty (GEO series matrices write ``null``, others ``NA``); the reader
    makes every cell that is not a number NaN. A gene with a missing value in any sample is left out,
    as a gene the dataset does not measure, rather than imputed: an imputed value would enter the
    reconstruction and the case-control contrast as if it had been measured. The number left out is
    logged. A sample missing more than ``MAX_MISSING_SHARE`` of its values, or that share of the genes
    incomplete, is refused: the matrix was misread (a column of text, a shifted header) or is unusable.
    """
    finite = np.isfinite(values)
    if finite.all():
        return np.ones(values.shape[1], dtype=bool)
    missing = 1.0 - finite.mean(axis=1)
    empty = np.flatnonzero(missing > MAX_MISSING_SHARE)
    if len(empty):
        names = ", ".join(f"{samples[i]} ({missing[i]:.0%})" for i in empty[:3])
        raise InputError(
            where,
            f"{len(empty)} samples miss more than {MAX_MISSING_SHARE:.0%} of their values "
            f"(e.g. {names})",
            "remove those samples (matrix columns), or check that their columns hold numbers",
        )
    complete = finite.all(axis=0)
    incomplete = np.asarray(genes)[~complete]
    examples = ", ".join(incomplete[:5])
    if len(incomplete) > MAX_MISSING_SHARE * len(genes):
        raise InputError(
            where,
            f"{len(incomplete)} of {len(genes)} genes have missing or non-numeric values "
            f"(e.g. {examples})",
            "impute or remove those genes before running the workflow",
        )
    log.warning(
        "%s: left out %d of %d genes with missing or non-numeric values in some samples (e.g. %s)",
        where,
        len(incomplete),
        len(genes),
        examples,
    )
    return complete


def subset_genes(
    genes: list[str], values: np.ndarray, keep: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """The genes of mask ``keep`` and their columns of ``values`` (samples × genes)."""
    if keep.all():
        return genes, values
    return [g for g, k in zip(genes, keep, strict=True) if k], values[:, keep]


def constant_genes(values: np.ndarray) -> np.ndarray:
    """Boolean mask of genes whose value never changes across samples (min-max is undefined there)."""
    return values.min(axis=0) == values.max(axis=0)


def upper_quartiles(
    counts: np.ndarray, where: str = "count matrix", samples: Sequence[str] | None = None
) -> np.ndarray:
    """The 75th percentile of the non-zero counts of each sample (row) of ``counts``.

    With n_i > 0 counts of sample i sorted as c_(1) <= … <= c_(n_i), the percentile is the linear
    interpolation at position h = 0.75 (n_i - 1): c_(⌊h⌋+1) + (h - ⌊h⌋) (c_(⌊h⌋+2) - c_(⌊h⌋+1)),
    numpy's default. Counts that are zero, negative or missing are left out; a sample without any
    other is refused, naming the file (``where``) and the sample (``samples``: the rows' names).
    """
    counts = np.asarray(counts)
    ordered = np.sort(
        counts if counts.dtype.kind == "u" else np.where(counts > 0, counts, 0), axis=1
    )
    n = (ordered > 0).sum(axis=1)
    if (n == 0).any():
        empty = np.flatnonzero(n == 0)
        names = [samples[i] for i in empty[:3]] if samples is not None else [f"row {empty[0]}"]
        raise InputError(
            where,
            f"{len(empty)} samples have no non-zero counts (e.g. {', '.join(names)})",
            "remove those samples (matrix columns) before normalization",
        )
    position = 0.75 * (n - 1)
    low = np.floor(position).astype(np.int64)
    first = counts.shape[1] - n + low
    rows = np.arange(len(ordered))
    below = ordered[rows, first].astype(np.float64)
    above = ordered[rows, np.minimum(first + 1, counts.shape[1] - 1)].astype(np.float64)
    return below + (position - low) * (above - below)


def upper_quartile(
    counts: np.ndarray,
    reference: float | None = None,
    where: str = "count matrix",
    samples: Sequence[str] | None = None,
) -> tuple[np.ndarray, float]:
    """Upper-quartile normalization of a samples × genes count matrix (NOISeq ``uqua``).

    Each sample i is divided by the 75th percentile q_i of its non-zero counts
    (:func:`upper_quartiles`) and multiplied by ``reference``, by default the mean of the q_i over
    the samples, so that the overall scale stays that of the data: x_ij / q_i * reference. Returns
    the normalized counts and the reference: passing a compendium's reference puts another
    dataset's counts on the compendium's scale. ``where`` and ``samples`` name an empty sample.
    """
    uq = upper_quartiles(counts, where, samples)
    reference = float(uq.mean()) if reference is None else reference
    return np.asarray(counts, dtype=np.float64) / uq[:, None] * reference, reference


def log_transform(values: np.ndarray, noise_floor: float) -> np.ndarray:
    """log2(1 + x), with values below ``noise_floor`` treated as noise and set to 0.

    Computed in float32 for float32 ``values`` (the streamed ARCHS4 compendium), else in float64.
    """
    values = np.asarray(values)
    logged = values.astype(np.float32 if values.dtype == np.float32 else np.float64)
    logged += 1.0
    np.log2(logged, out=logged)
    logged[logged < noise_floor] = 0.0
    return logged


def log_counts(
    counts: np.ndarray,
    noise_floor: float,
    reference: float | None = None,
    where: str = "count matrix",
    samples: Sequence[str] | None = None,
) -> tuple[np.ndarray, float]:
    """RNA-seq counts to the compendium's log scale: :func:`upper_quartile`, then :func:`log_transform`.

    Returns the log values and the upper-quartile reference used.
    """
    normalized, reference = upper_quartile(counts, reference, where, samples)
    return log_transform(normalized, noise_floor), reference


def fit_range(values: np.ndarray, genes: list[str]) -> GeneRange:
    """Per-gene minima and maxima over samples."""
    return GeneRange(list(genes), values.min(axis=0), values.max(axis=0))


def apply_range(values: np.ndarray, gene_range: GeneRange) -> np.ndarray:
    """Min-max rescale ``values`` (samples × genes) with a fitted range; returns float32."""
    span = gene_range.span
    scaled = (values - gene_range.minimum) / np.where(span > 0, span, 1.0)
    return scaled.astype(np.float32, copy=False)


def train_test_split(n_samples: int, test_size: float, seed: int) -> np.ndarray:
    """Boolean mask of test samples from a fixed-seed permutation.

    ``test_size`` below 1 is a fraction of the samples; 1 or more is a number of samples (the paper held
    out 7,887 of 27,887 microarrays and 9,532 of 59,532 RNA-seq samples).
    """
    n_test = int(round(test_size * n_samples)) if test_size < 1 else int(test_size)
    if not 0 < n_test < n_samples:
        raise InputError(
            "config: datasets.*.test_size",
            f"{test_size} leaves {n_test} of {n_samples} samples for testing",
            "choose a fraction in (0, 1) or a count smaller than the number of samples",
        )
    rng = np.random.default_rng(seed)
    mask = np.zeros(n_samples, dtype=bool)
    mask[rng.permutation(n_samples)[:n_test]] = True
    return mask
