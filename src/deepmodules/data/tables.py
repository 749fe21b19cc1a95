"""The one reader of tab-separated input tables with a header (sample tables, association tables,
gene id mappings, sample sheets), with one error style: every problem is an :class:`InputError` naming
the file, what is wrong with it and what to change."""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from itertools import islice

import pandas as pd

from deepmodules.errors import InputError, readable, require_file


def leading_comment_lines(path: str | os.PathLike, prefix: str = "#") -> int:
    """The number of lines at the top of a text table (gzipped or not) that start with ``prefix``:
    the description lines (``#ID = ...``) that GEO's platform tables carry above their header."""
    opener = gzip.open if str(path).endswith(".gz") else open
    count = 0
    with readable(path), opener(path, "rt", errors="replace") as handle:
        for line in handle:
            if not line.startswith(prefix):
                break
            count += 1
    return count


def line_delimiter(header: str) -> str:
    """The field delimiter a table's header line shows: a tab, or a comma when it has commas and no
    tab (a CSV table)."""
    return "," if "\t" not in header and "," in header else "\t"


def delimiter(path: str | os.PathLike, skip: int = 0) -> str:
    """The field delimiter of a text table (gzipped or not) whose header follows ``skip`` lines."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", errors="replace") as handle:
        return line_delimiter(next(islice(handle, skip, None), ""))


def read_table(
    path: str | os.PathLike,
    required: Sequence[str],
    what: str,
    fix: str,
    skip_comments: bool = False,
    **options,
) -> pd.DataFrame:
    """A tab-separated table with a header, every cell as text (empty cells as ""), that has the
    ``required`` columns; a header with commas and no tab makes it a comma-separated one (a sample
    sheet written as CSV). ``what`` names the table in a message ("sample table"); ``fix`` is the
    remedy for missing columns; ``skip_comments`` skips the ``#`` lines above the header
    (:func:`leading_comment_lines`); ``options`` go to :func:`pandas.read_csv` (e.g. ``quoting``)."""
    require_file(path)
    if skip_comments:
        options["skiprows"] = leading_comment_lines(path)
    try:
        with readable(path):
            sep = delimiter(path, options.get("skiprows", 0))
            table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(
            path,
            f"cannot read the {what} ({err})",
            "supply a tab- or comma-separated text table with a header",
        ) from err
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(map(repr, missing))} of the {what}; "
            f"columns: {', '.join(map(str, table.columns[:8]))}",
            fix,
        )
    return table
