"""Download input tables atomically, with retries and checksum verification.

Upstream tables (GWAS Catalog, refGene, STRING, ...) change in place, so every download can be pinned
by its SHA-256. A file is streamed into a temporary file beside the destination, hashed while it is
written, checked against the announced Content-Length, the pinned digest and its format's own
integrity check (the CRC-32 of every zip member, a complete gzip stream, an HDF5 file that opens:
:func:`deepmodules.data.integrity.check_integrity`, which also catches a transfer cut short by a server that
sent no Content-Length), and only then moved onto the destination with an atomic ``os.replace``. A failed or interrupted download leaves neither a
partial destination nor a temporary file behind.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from deepmodules.data.integrity import TEXT_TABLES, check_integrity, check_text_table
from deepmodules.errors import InputError

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
USER_AGENT = "deepmodules-download/1.0 (urllib)"


class _TruncatedBody(Exception):
    """The body ended before the announced Content-Length, or fails its format's integrity check."""


def sha256sum(path: str | os.PathLike) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(
    url: str,
    dest: str | os.PathLike,
    sha256: str | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    backoff: float = 1.0,
) -> str:
    """Download ``url`` (http, https or file) to ``dest`` and return the file's SHA-256 hex digest.

    Connection errors, timeouts, HTTP 429/5xx, bodies shorter than their Content-Length and files that
    fail their format's integrity check (a zip, gzip or HDF5 ``dest`` name) are retried
    up to ``retries`` more times, waiting ``backoff * 2**k`` seconds before retry k (k = 0, 1, ...).
    Other HTTP errors (404, 403, ...) fail at once. When ``sha256`` is given, a file with another
    digest is discarded and an InputError raised; ``dest`` is never replaced by an unverified file.
    """
    dest = Path(dest)
    parsed = urllib.parse.urlparse(url)
    scheme = parsed.scheme
    if scheme not in {"http", "https", "file"}:
        raise InputError(
            url, f"unsupported URL scheme '{scheme}'", "use an http(s):// or file:// URL"
        )
    if scheme == "file":
        local = Path(urllib.request.url2pathname(parsed.path))
        if not local.is_file():
            raise InputError(url, f"local file {local} does not exist", "fix the path in the URL")
    if retries < 0:
        raise InputError("fetch", f"retries={retries} is negative", "pass retries >= 0")
    dest.parent.mkdir(parents=True, exist_ok=True)

    attempts = retries + 1
    for attempt in range(attempts):
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                digest = _stream(url, out, timeout)
            _verify(dest, url, sha256, digest)
            _check_format(tmp, dest, pinned=sha256 is not None)
            os.replace(tmp, dest)
            return digest
        except urllib.error.HTTPError as err:
            err.close()
            if err.code != 429 and err.code < 500:
                raise InputError(
                    url,
                    f"server answered HTTP {err.code} ({err.reason})",
                    "check that the URL is correct and publicly accessible",
                ) from err
            last_error: Exception = err
        except (
            OSError,
            http.client.HTTPException,
            _TruncatedBody,
        ) as err:  # URLError is an OSError
            last_error = err
        finally:
            tmp.unlink(missing_ok=True)
        if attempt + 1 < attempts:
            wait = backoff * 2**attempt
            log.warning("download of %s failed (%s); retry in %.3g s", url, last_error, wait)
            time.sleep(wait)
    raise InputError(
        url,
        f"download failed after {attempts} attempts, last error: {last_error}",
        "check the network connection and the URL, then run again",
    )


def _stream(url: str, out: BinaryIO, timeout: float) -> str:
    """Copy the body of ``url`` into ``out``; return its SHA-256; raise _TruncatedBody if short."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        while chunk := response.read(CHUNK_BYTES):
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
    if length is not None and received != int(length):
        raise _TruncatedBody(f"received {received} of {length} bytes")
    return digest.hexdigest()


def _check_format(tmp: Path, dest: Path, pinned: bool) -> None:
    """Raise _TruncatedBody when the downloaded file fails the integrity check of ``dest``'s format,
    or, unpinned, is a text table whose last row is shorter than its header (a transfer cut inside
    it, which no digest catches)."""
    try:
        log.info("%s: %s", dest, check_integrity(tmp, kind=dest.name))
        suffix = dest.suffix.lower()
        if not pinned and suffix in TEXT_TABLES:
            log.info("%s: %s", dest, check_text_table(tmp, TEXT_TABLES[suffix]))
    except InputError as err:
        raise _TruncatedBody(err.problem) from err


def _verify(dest: Path, url: str, expected: str | None, actual: str) -> None:
    """Raise InputError when a pinned SHA-256 differs from the downloaded file's."""
    if expected is not None and expected.strip().lower() != actual:
        raise InputError(
            dest,
            f"SHA-256 mismatch for {url}: expected {expected.strip().lower()}, got {actual}",
            "check the URL; if the upstream file changed on purpose, update the pinned sha256 in config",
        )
