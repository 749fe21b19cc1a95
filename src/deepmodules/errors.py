"""One-line, actionable errors for bad input."""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class InputError(Exception):
    """Bad input: the message names the file or key, the problem and the fix, on one line."""

    def __init__(self, where: str | os.PathLike, problem: str, fix: str):
        self.where = str(where)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.where}: {problem}. Fix: {fix}")


def require_file(path: str | os.PathLike) -> None:
    """Raise :class:`InputError` naming ``path`` unless it is an existing file."""
    if not Path(path).is_file():
        raise InputError(path, "file not found", "download it or correct its path in the config")


@contextmanager
def readable(path: str | os.PathLike) -> Iterator[None]:
    """Report a truncated or corrupt file read inside the block as an InputError naming ``path``.

    A zip archive with a bad CRC or central directory (``BadZipFile``), a gzip stream cut short
    (``EOFError``) or damaged (``BadGzipFile``, ``zlib.error``) and an HDF5 file that does not open
    (h5py's ``OSError``) all mean the file must be fetched again. A missing file or a permission
    problem is another problem and passes through unchanged.
    """
    try:
        yield
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
        raise InputError(
            path,
            f"the file is truncated or corrupt ({type(err).__name__}: {err})",
            "download or copy it again (compare its size or checksum with the source)",
        ) from err
