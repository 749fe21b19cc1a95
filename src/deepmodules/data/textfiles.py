"""Text files as they come: plain, gzipped (``.gz``) or one member of a zip archive, read as UTF-8
lines; a file that is not text, or not UTF-8, is named as such. The one opener of the matrix readers
(:mod:`deepmodules.data.sources`) and of GEO series matrices' description lines
(:mod:`deepmodules.data.series`)."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from deepmodules.data.integrity import content_format
from deepmodules.errors import InputError, readable, require_file


@contextmanager
def open_binary(path: Path, member: str | None) -> Iterator[IO[bytes]]:
    """Open a plain or gzipped file, or one member of a zip archive, as a binary stream.

    ``member`` names the file inside a zip archive; it may be omitted when the archive holds one
    file, and must be omitted for other files.
    """
    require_file(path)
    with readable(path):
        yield from _open_member(path, member)


def _open_member(path: Path, member: str | None) -> Iterator[IO[bytes]]:
    """The stream of :func:`open_binary`, without the check of the file's integrity."""
    suffix = path.suffix.lower()
    if suffix != ".zip":
        if member is not None:
            raise InputError(
                path,
                f"a zip member ({member!r}) is named but the file is not a zip archive",
                "remove datasets.*.matrix_member, or point datasets.*.matrix at the zip",
            )
        with gzip.open(path, "rb") if suffix == ".gz" else open(path, "rb") as handle:
            yield handle
        return
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if member is None and len(names) == 1:
            member = names[0]
        if member not in names:
            raise InputError(
                path,
                f"zip member {member!r} not found; members: {', '.join(names) or '(none)'}",
                "name one of the members in datasets.*.matrix_member",
            )
        with archive.open(member) as handle:
            yield handle


def text_lines(
    path: str | Path, member: str | None = None, errors: str = "strict"
) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text file, plain, gzipped or a zip member (:func:`open_binary`),
    decoded as UTF-8 (``errors`` as for :func:`open`). A file that is not UTF-8 text (a spreadsheet
    workbook, another encoding) is an :class:`InputError` saying what it holds."""
    with open_binary(Path(path), member) as handle:
        try:
            yield from enumerate(io.TextIOWrapper(handle, encoding="utf-8-sig", errors=errors), 1)
        except UnicodeDecodeError as error:
            held = content_format(path)
            raise InputError(
                path,
                f"holds {held} data, not text (an Excel workbook is zip data)"
                if held in ("zip", "HDF5") and Path(path).suffix.lower() != ".zip"
                else f"is not UTF-8 text ({error.reason}: byte {error.object[error.start]:#04x})",
                "save the table as UTF-8 text, tab- or comma-separated (gzipped or zipped as "
                ".gz or .zip if you like)",
            ) from None


def is_series_matrix(path: str | Path, member: str | None = None) -> bool:
    """Whether a file opens as a GEO series matrix does, with its ``!Series_`` description."""
    _, first = next(text_lines(path, member, errors="replace"), (0, ""))
    return first.startswith("!Series_")
