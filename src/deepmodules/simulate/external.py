"""Writer of the external dataset stand-in: a case-control expression matrix and its sample sheet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.simulate.files import EXTERNAL_MATRIX_FILE, EXTERNAL_SAMPLES_FILE
from deepmodules.simulate.model import Arm, GeneModel, _log_expression


def _write_external(
    outdir: Path, genes: GeneModel, arm: Arm, p: dict, rng: np.random.Generator
) -> None:
    """The external dataset: a processed-matrix-style text file and a sample sheet (sample, group).

    A fraction ``external_missing_fraction`` of the genes is left out, as on another platform.
    """
    values = _log_expression(genes, arm, slice(None), slice(None), rng)
    keep = np.sort(
        rng.permutation(len(genes.symbols))[
            round(p["external_missing_fraction"] * len(genes.symbols)) :
        ]
    )
    table = pd.DataFrame(
        values[:, keep].T,
        index=pd.Index(np.asarray(genes.symbols)[keep], name="Hybridization REF"),
        columns=arm.design["name"],
    )
    (outdir / EXTERNAL_MATRIX_FILE).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(outdir / EXTERNAL_MATRIX_FILE, sep="\t", float_format="%.4f")
    sheet = pd.DataFrame({"sample": arm.design["name"], "group": arm.design["disease"]})
    sheet.to_csv(outdir / EXTERNAL_SAMPLES_FILE, sep="\t", index=False)
