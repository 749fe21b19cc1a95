"""One-line, actionable errors for bad input."""

from __future__ import annotations

import os
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
