"""Writer of the ARCHS4 stand-in: RNA-seq counts in the ARCHS4 v2 HDF5 layout."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from deepmodules.simulate.files import BLOCK_VALUES, _blocks
from deepmodules.simulate.model import Arm, GeneModel, _log_expression


def _write_archs4(
    path: Path, genes: GeneModel, arm: Arm, p: dict, rng: np.random.Generator
) -> None:
    """The ARCHS4-style HDF5: Poisson counts (genes × samples) streamed sample block by block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    design = arm.design
    n_samples, n_genes = len(design), len(genes.symbols)
    low, high = np.log(p["library_size_range"])
    library = np.exp(rng.uniform(low, high, size=n_samples))
    single_cell = design["single_cell"].to_numpy()
    probability = np.where(
        single_cell, rng.uniform(0.5, 1.0, n_samples), rng.uniform(0.0, 0.3, n_samples)
    )
    number = design.groupby("study").cumcount() + 1
    meta = {
        "geo_accession": design["name"],
        "series_id": design["study_id"],
        "characteristics_ch1": "cell type: "
        + design["cell_type"]
        + ",disease: "
        + design["disease"],
        "source_name_ch1": design["cell_type"],
        "title": design["cell_type"] + " " + design["disease"] + " rep" + number.astype(str),
    }
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as h5:
        expression = h5.create_dataset(
            "data/expression",
            shape=(n_genes, n_samples),
            dtype=np.uint32,
            chunks=(min(n_genes, 2048), min(n_samples, 64)),
            compression="gzip",
        )
        for rows in _blocks(n_samples, max(1, BLOCK_VALUES // n_genes)):
            log_values = _log_expression(genes, arm, rows, slice(None), rng).astype(np.float64)
            weights = np.exp2(log_values - log_values.max(axis=1, keepdims=True))
            rate = library[rows, None] * weights / weights.sum(axis=1, keepdims=True)
            expression[:, rows] = rng.poisson(rate).astype(np.uint32).T
        h5.create_dataset("meta/genes/symbol", data=genes.symbols, dtype=strings)
        for field, values in meta.items():
            h5.create_dataset(f"meta/samples/{field}", data=values.tolist(), dtype=strings)
        h5.create_dataset("meta/samples/singlecellprobability", data=probability)
