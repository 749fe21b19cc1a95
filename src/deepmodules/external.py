"""Your own disease data: an external expression dataset analysed with a trained compendium autoencoder.

The paper's multiple sclerosis analysis: a dataset of cases, controls and possibly another disease group,
measured on the compendium's platform, is min-max scaled with the compendium's per-gene ranges (values
outside are clipped to [0, 1]), encoded with the trained autoencoder, and reverse-trained on its own groups;
the module of the cases is scored against each reference group (healthy controls, another disease) and
tested against the disease's GWAS genes.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from deepmodules import normalize, sources
from deepmodules.errors import InputError

log = logging.getLogger(__name__)


def read_sample_sheet(path: str, groups: list[str], min_samples: int) -> pd.DataFrame:
    """The sample sheet (columns sample, group); every named group needs ``min_samples`` samples."""
    sheet = sources.read_sdrf(path, required_columns=["sample", "group"])
    counts = sheet["group"].value_counts()
    for group in groups:
        if counts.get(group, 0) < min_samples:
            raise InputError(
                path,
                f"group {group!r} has {counts.get(group, 0)} samples, fewer than {min_samples}; "
                f"groups here: {', '.join(sorted(counts.index))}",
                "correct the group names in config external.*.case / references or add samples",
            )
    return sheet


def align_to_compendium(
    genes: list[str],
    values: np.ndarray,
    gene_range: normalize.GeneRange,
    min_overlap: float,
    where: str,
) -> np.ndarray:
    """Scale ``values`` (samples × genes) onto the compendium's genes in the compendium's order.

    Compendium genes that the dataset lacks are set to 0.5, the middle of the scaled range, and
    counted in the log; fewer shared genes than ``min_overlap`` (a fraction of the compendium's genes)
    is an error.
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
    normalize.check_finite(values, genes, where)
    aligned = np.full((len(values), len(gene_range.genes)), 0.5, dtype=np.float32)
    columns = [position[gene_range.genes[j]] for j in shared]
    subset = normalize.GeneRange(
        [gene_range.genes[j] for j in shared],
        gene_range.minimum[shared],
        gene_range.maximum[shared],
    )
    aligned[:, shared] = normalize.apply_range(values[:, columns], subset, clip=True)
    log.info(
        "%d of %d compendium genes shared (%.1f%%); the others set to 0.5",
        len(shared),
        len(gene_range.genes),
        100 * overlap,
    )
    return aligned
