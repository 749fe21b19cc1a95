"""Writer of the E-MTAB-3732 stand-in: the processed matrix (zipped text, genes x samples) and the SDRF."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.simulate.files import BLOCK_VALUES, MATRIX_MEMBER, ZIP_DATE, _blocks
from deepmodules.simulate.model import Arm, GeneModel, _log_expression

SDRF_COLUMNS = [
    "Source Name",
    "Characteristics[organism]",
    "Characteristics[organism part]",
    "Characteristics[cell type]",
    "Characteristics[disease]",
    "Characteristics[study]",
    "Assay Name",
    "Array Design REF",
    "Derived Array Data Matrix File",
]


def _write_matrix(path: Path, genes: GeneModel, arm: Arm, rng: np.random.Generator) -> None:
    """The processed matrix (genes as rows, 4 decimals), streamed gene block by gene block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = arm.design["name"].tolist()
    row_format = "\t".join(["%.4f"] * len(names))
    member = zipfile.ZipInfo(MATRIX_MEMBER, date_time=ZIP_DATE)
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o644 << 16
    with (
        zipfile.ZipFile(path, "w") as archive,
        archive.open(member, "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text,
    ):
        text.write("Hybridization REF\t" + "\t".join(names) + "\n")
        for cols in _blocks(len(genes.symbols), max(1, BLOCK_VALUES // len(names))):
            values = _log_expression(genes, arm, slice(None), cols, rng)
            for symbol, column in zip(genes.symbols[cols], values.T, strict=True):
                text.write(f"{symbol}\t{row_format % tuple(column.tolist())}\n")


def _write_sdrf(path: Path, design: pd.DataFrame) -> None:
    """The SDRF: one row per hybridization, in matrix column order."""
    number = design.groupby("study").cumcount() + 1
    sdrf = pd.DataFrame(
        {
            "Source Name": design["study_id"] + " sample " + number.astype(str),
            "Characteristics[organism]": "Homo sapiens",
            "Characteristics[organism part]": design["cell_type"],
            "Characteristics[cell type]": design["cell_type"],
            "Characteristics[disease]": design["disease"],
            "Characteristics[study]": design["study_id"],
            "Assay Name": design["name"],
            "Array Design REF": "A-AFFY-44",
            "Derived Array Data Matrix File": MATRIX_MEMBER,
        },
        columns=SDRF_COLUMNS,
    )
    sdrf.to_csv(path, sep="\t", index=False, lineterminator="\n")
