"""Writer of the ARCHS4 stand-in: RNA-seq counts in the ARCHS4 v2 HDF5 layout."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from deepmodules.simulate.files import BLOCK_VALUES, _blocks
from deepmodules.simulate.model import Arm, GeneModel, _log_expression


def _sample_meta(design: pd.DataFrame) -> dict[str, pd.Series]:
    """The ``meta/samples`` string fields of an arm's samples.

    A compendium arm's are made from its cell types and diseases; a disease series' design carries its
    own ``characteristics``, ``source_name`` and ``title`` (:mod:`deepmodules.simulate.series`).
    """
    if "title" in design:
        characteristics, source, title = (
            design["characteristics"],
            design["source_name"],
            design["title"],
        )
    else:
        number = design.groupby("study").cumcount() + 1
        characteristics = "cell type: " + design["cell_type"] + ",disease: " + design["disease"]
        source = design["cell_type"]
        title = design["cell_type"] + " " + design["disease"] + " rep" + number.astype(str)
    return {
        "geo_accession": design["name"],
        "series_id": design["study_id"],
        "characteristics_ch1": characteristics,
        "source_name_ch1": source,
        "title": title,
    }


CHUNKS = (2048, 64)  # genes × samples of a chunk of data/expression


def create_expression(h5: h5py.File, n_genes: int, n_samples: int) -> h5py.Dataset:
    """ARCHS4's ``data/expression``: genes × samples uint32 counts in gzip-compressed chunks."""
    return h5.create_dataset(
        "data/expression",
        shape=(n_genes, n_samples),
        dtype=np.uint32,
        chunks=(min(n_genes, CHUNKS[0]), min(n_samples, CHUNKS[1])),
        compression="gzip",
    )


def _write_archs4(
    path: Path, genes: GeneModel, arms: list[tuple[Arm, np.random.Generator]], p: dict
) -> None:
    """The ARCHS4-style HDF5: Poisson counts (genes × samples) streamed sample block by block.

    The arms' samples follow each other in the file (the compendium's, then the disease series'), each
    drawn from its own random stream, so that adding series leaves the compendium's counts unchanged.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    n_samples, n_genes = sum(len(arm.design) for arm, _ in arms), len(genes.symbols)
    low, high = np.log(p["library_size_range"])
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as h5:
        expression = create_expression(h5, n_genes, n_samples)
        start, meta, probabilities = 0, [], []
        for arm, rng in arms:
            n = len(arm.design)
            library = np.exp(rng.uniform(low, high, size=n))
            single_cell = arm.design["single_cell"].to_numpy()
            probabilities.append(
                np.where(single_cell, rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.3, n))
            )
            for rows in _blocks(n, max(1, BLOCK_VALUES // n_genes)):
                log_values = _log_expression(genes, arm, rows, slice(None), rng).astype(np.float64)
                weights = np.exp2(log_values - log_values.max(axis=1, keepdims=True))
                rate = library[rows, None] * weights / weights.sum(axis=1, keepdims=True)
                columns = slice(start + rows.start, start + rows.stop)
                expression[:, columns] = rng.poisson(rate).astype(np.uint32).T
            meta.append(_sample_meta(arm.design))
            start += n
        h5.create_dataset("meta/genes/symbol", data=genes.symbols, dtype=strings)
        for field in meta[0]:
            values = [value for fields in meta for value in fields[field].tolist()]
            h5.create_dataset(f"meta/samples/{field}", data=values, dtype=strings)
        h5.create_dataset("meta/samples/singlecellprobability", data=np.concatenate(probabilities))
