"""Where the simulated sources are written under the output folder (the real downloads' paths), and
helpers the format writers share.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

MATRIX_FILE = "E-MTAB-3732/E-MTAB-3732.processed.1.zip"
MATRIX_MEMBER = "processedMatrix.Aurora.july2015.txt"
SDRF_FILE = "E-MTAB-3732/E-MTAB-3732.sdrf.txt"
ARCHS4_FILE = "archs4/human_gene_v2.latest.h5"
STRING_LINKS_FILE = "string/9606.protein.links.v12.0.txt.gz"
STRING_INFO_FILE = "string/9606.protein.info.v12.0.txt.gz"
DISGENET_FILE = "gwas/curated_variant_disease_associations.tsv.gz"
GWAS_CATALOG_FILE = "gwas/gwas_catalog_associations.tsv"
REFGENE_FILE = "refgene/refGene.txt.gz"
GROUND_TRUTH_FILE = "ground_truth.json"
EXTERNAL_MATRIX_FILE = "external/multiple_sclerosis_expression.tsv"
EXTERNAL_SAMPLES_FILE = "external/multiple_sclerosis_samples.tsv"
# Every file simulate() writes; the ground truth comes last and sits at the top of the folder.
OUTPUT_FILES = (
    MATRIX_FILE,
    SDRF_FILE,
    ARCHS4_FILE,
    STRING_LINKS_FILE,
    STRING_INFO_FILE,
    DISGENET_FILE,
    GWAS_CATALOG_FILE,
    REFGENE_FILE,
    EXTERNAL_MATRIX_FILE,
    EXTERNAL_SAMPLES_FILE,
    GROUND_TRUTH_FILE,
)

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BLOCK_VALUES = 2_000_000  # expression values generated per block


def _blocks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


@contextmanager
def _gzip_text(path: Path) -> Iterator[TextIO]:
    """A text stream into a reproducible gzip file (no name, mtime 0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8", newline="\n") as text,
    ):
        yield text
