"""Gene-set collections (KEGG, Reactome, GO) in the GMT format, for the light-up robustness check
(:mod:`deepmodules.interpret.genesets`)."""

from __future__ import annotations

import os

from deepmodules.errors import InputError, require_file


def read_gmt(path: str | os.PathLike) -> dict[str, list[str]]:
    """Gene sets of a GMT file: one set per line, `name<TAB>description<TAB>gene<TAB>gene...`."""
    require_file(path)
    collection: dict[str, list[str]] = {}
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = [field.strip() for field in line.rstrip("\n").split("\t")]
            if not any(fields):
                continue
            genes = [gene for gene in fields[2:] if gene]
            if len(fields) < 3 or not fields[0] or not genes:
                raise InputError(
                    path,
                    f"line {number} is not name<TAB>description<TAB>genes",
                    "pass a GMT file (one gene set per line, tab-separated)",
                )
            if fields[0] in collection:
                raise InputError(path, f"gene set {fields[0]!r} repeats", "give each set once")
            collection[fields[0]] = genes
    if not collection:
        raise InputError(path, "holds no gene set", "pass a non-empty GMT file")
    return collection
