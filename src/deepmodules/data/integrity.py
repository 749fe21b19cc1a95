"""Integrity of a downloaded or given file, read to its end before it is used (zip CRC-32 of every
member, the whole gzip stream, the HDF5 superblock), so that a truncated file is named as such; and of
a downloaded text table, whose last row must be as long as its header (:func:`check_text_table`).
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import h5py

from deepmodules.errors import InputError, readable


def check_integrity(path: str | Path, kind: str | None = None) -> str:
    """Read a compressed file to its end: every zip member's CRC-32, the whole gzip stream, HDF5 open.

    The format is that of the file name ``kind`` (default: ``path``'s name): ``.zip``, ``.gz``,
    ``.h5`` or ``.hdf5``; other files are not checked. Returns what was checked; raises InputError
    naming a truncated or corrupt file.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a directory, not a file", "name the file inside it")
    if not path.is_file():
        raise InputError(
            path, "file not found", "put the file there or correct its path in the config"
        )
    suffix = Path(kind or path.name).suffix.lower()
    check_format_matches_name(path, suffix)
    with readable(path):
        if suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                n_members = len(archive.namelist())
            if bad is not None:
                raise zipfile.BadZipFile(f"CRC-32 of member {bad!r} does not match")
            return f"zip: CRC-32 of {n_members} members match"
        if suffix == ".gz":
            size = 0
            with gzip.open(path, "rb") as handle:
                while chunk := handle.read(1 << 24):
                    size += len(chunk)
            return f"gzip: stream complete, {size} bytes"
        if suffix in {".h5", ".hdf5"}:
            with h5py.File(path, "r") as h5:
                return f"HDF5: opens, {len(h5)} top-level groups"
    return "plain file"


# The first bytes of each compressed format, by file-name suffix.
MAGIC = {".gz": (b"\x1f\x8b", "gzip"), ".zip": (b"PK", "zip"), ".h5": (b"\x89HDF", "HDF5")}
MAGIC[".hdf5"] = MAGIC[".h5"]


def content_format(path: str | Path) -> str:
    """The format a file's first bytes show: ``gzip``, ``zip``, ``HDF5``, ``plain text`` or
    ``unknown``."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    held = next((name for magic, name in MAGIC.values() if head.startswith(magic)), None)
    if held is None:
        held = "plain text" if all(32 <= b < 127 or b in b"\t\r\n" for b in head) else "unknown"
    return held


def check_format_matches_name(path: Path, suffix: str) -> None:
    """A file whose content is another format than its name says (a gzip file named ``.zip``, plain
    text named ``.gz``) is refused with the format it holds, not as a corrupt file."""
    if suffix not in MAGIC or path.stat().st_size == 0:
        return
    held = content_format(path)
    if held == MAGIC[suffix][1]:
        return
    raise InputError(
        path,
        f"is named {suffix} but holds {held} data, not {MAGIC[suffix][1]}",
        "name the file for the format it holds (or give the format where the config asks for it)",
    )


# Text tables by suffix, and the separator of their fields.
TEXT_TABLES = {".tsv": "\t", ".txt": "\t", ".csv": ","}


def check_text_table(path: Path, separator: str) -> str:
    """A table cut short (a download that stopped inside its last row) has a last row with fewer fields
    than its header: refused. Files whose header holds no ``separator`` are not tables of that kind,
    and a last line that is a comment or trailer (``#``, ``!``, as GEO's) is not a row: both are
    passed. Returns the number of rows and fields."""
    with open(path, "rb") as handle:
        header = handle.readline().rstrip(b"\r\n").decode("utf-8", errors="replace")
        rows = sum(1 for line in handle if line.strip())
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - (1 << 16)))
        tail = handle.read().decode("utf-8", errors="replace").rstrip("\r\n").split("\n")[-1]
    fields = header.count(separator) + 1
    if fields == 1 or rows == 0 or tail.startswith(("#", "!")):
        return "text file"
    last = tail.rstrip("\r").count(separator) + 1
    if last < fields:
        raise InputError(
            path,
            f"its last row has {last} of the header's {fields} fields: the file is cut short",
            "download or copy it again",
        )
    return f"text table: {rows} rows of {fields} fields, the last one complete"
