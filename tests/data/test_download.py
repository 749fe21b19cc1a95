"""Downloads against a real local HTTP server: retries, truncation, 404, checksum, formats, URLs."""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import h5py
import pytest

from deepmodules.data.download import fetch, sha256sum
from deepmodules.errors import InputError

BODY = b"gene\tvalue\n" + b"".join(b"G%d\t%d\n" % (i, i) for i in range(2000))
BODY_SHA = hashlib.sha256(BODY).hexdigest()
GZ = gzip.compress(bytes(range(256)) * 400)
ZIP_BUFFER = io.BytesIO()
with zipfile.ZipFile(ZIP_BUFFER, "w", zipfile.ZIP_DEFLATED) as _archive:
    _archive.writestr("matrix.txt", bytes(range(256)) * 400)
ZIP = ZIP_BUFFER.getvalue()
H5_BUFFER = io.BytesIO()
with h5py.File(H5_BUFFER, "w") as _h5:
    _h5["data/expression"] = list(range(50_000))
H5 = H5_BUFFER.getvalue()
# Format files served whole, or cut short with no Content-Length (the first time, or always).
FORMATS = {"table.gz": GZ, "matrix.zip": ZIP, "counts.h5": H5}
# A GWAS-Catalog-like text table, and where a transfer cut inside its last rows stops: in the
# disease column of row 41 of 42 (the SNP's chromosome and position already sent).
CATALOG = b"DISEASE/TRAIT\tCHR_ID\tCHR_POS\tSNPS\tMAPPED_TRAIT_URI\n" + b"".join(
    b"Asthma\t%d\t%d\trs%d\thttp://www.ebi.ac.uk/efo/EFO_0000270\n" % (1 + i % 22, 1000 * i, i)
    for i in range(42)
)
CATALOG_CUT = CATALOG[: CATALOG.index(b"rs40\t") + 2]


class Handler(BaseHTTPRequestHandler):
    """Serves BODY with a behaviour chosen by the path; counts requests per path."""

    hits: Counter = Counter()

    def do_GET(self) -> None:
        self.hits[self.path] += 1
        n = self.hits[self.path]
        if self.path == "/good":
            self._send(BODY)
        elif self.path == "/flaky":
            if n <= 2:
                self.send_error(503, "busy")
            else:
                self._send(BODY)
        elif self.path == "/truncated":
            if n == 1:
                self._send(BODY[:100], length=len(BODY))
            else:
                self._send(BODY)
        elif self.path == "/catalog-cut.tsv":
            self._send(CATALOG_CUT, length=-1)
        elif self.path == "/catalog.tsv":
            self._send(CATALOG, length=-1)
        elif self.path.startswith(("/whole/", "/cut-once/", "/cut/")):
            kind, name = self.path.strip("/").split("/")
            body = FORMATS[name]
            short = kind == "cut" or (kind == "cut-once" and n == 1)
            self._send(body[: len(body) // 2] if short else body, length=-1)
        elif self.path == "/down":
            self.send_error(503, "down")
        else:
            self.send_error(404, "no such file")

    def _send(self, body: bytes, length: int | None = None) -> None:
        """Send ``body``, announcing ``length`` bytes (its own by default, none when -1)."""
        self.send_response(200)
        if length != -1:
            self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    Handler.hits = Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler.hits
    httpd.shutdown()
    httpd.server_close()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_good_file_is_written_and_hashed(server, tmp_path):
    base, hits = server
    dest = tmp_path / "sub" / "table.tsv"
    digest = fetch(f"{base}/good", dest, sha256=BODY_SHA, backoff=0.001)
    assert digest == BODY_SHA == sha256sum(dest)
    assert dest.read_bytes() == BODY
    assert hits["/good"] == 1
    assert leftovers(dest.parent) == []


def test_server_errors_are_retried(server, tmp_path):
    base, hits = server
    dest = tmp_path / "flaky.tsv"
    assert fetch(f"{base}/flaky", dest, retries=3, backoff=0.001) == BODY_SHA
    assert hits["/flaky"] == 3
    assert dest.read_bytes() == BODY


def test_truncated_body_is_retried(server, tmp_path):
    base, hits = server
    dest = tmp_path / "truncated.tsv"
    fetch(f"{base}/truncated", dest, sha256=BODY_SHA, backoff=0.001)
    assert hits["/truncated"] == 2
    assert dest.read_bytes() == BODY
    assert leftovers(tmp_path) == []


def test_retries_exhausted_gives_clear_error(server, tmp_path):
    base, hits = server
    dest = tmp_path / "down.tsv"
    with pytest.raises(InputError, match="failed after 3 attempts"):
        fetch(f"{base}/down", dest, retries=2, backoff=0.001)
    assert hits["/down"] == 3
    assert not dest.exists() and leftovers(tmp_path) == []


def test_not_found_fails_at_once(server, tmp_path):
    base, hits = server
    dest = tmp_path / "missing.tsv"
    with pytest.raises(InputError, match=r"/missing: server answered HTTP 404") as err:
        fetch(f"{base}/missing", dest, backoff=0.001)
    assert "Fix:" in str(err.value) and "\n" not in str(err.value)
    assert hits["/missing"] == 1
    assert not dest.exists() and leftovers(tmp_path) == []


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    base, _ = server
    dest = tmp_path / "table.tsv"
    wrong = "0" * 64
    with pytest.raises(InputError, match="SHA-256 mismatch") as err:
        fetch(f"{base}/good", dest, sha256=wrong, backoff=0.001)
    message = str(err.value)
    assert str(dest) in message and wrong in message and BODY_SHA in message
    assert "pinned sha256 in config" in message
    assert list(tmp_path.iterdir()) == []


def test_failed_download_keeps_previous_file(server, tmp_path):
    base, _ = server
    dest = tmp_path / "table.tsv"
    dest.write_bytes(b"old")
    with pytest.raises(InputError):
        fetch(f"{base}/good", dest, sha256="f" * 64, backoff=0.001)
    assert dest.read_bytes() == b"old"


def test_interrupt_leaves_no_temp_file(server, tmp_path, monkeypatch):
    base, _ = server

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("deepmodules.data.download._verify", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fetch(f"{base}/good", tmp_path / "table.tsv")
    assert list(tmp_path.iterdir()) == []


def test_file_url(tmp_path):
    source = tmp_path / "mirror" / "table.tsv"
    source.parent.mkdir()
    source.write_bytes(BODY)
    dest = tmp_path / "out" / "table.tsv"
    assert fetch(source.as_uri(), dest, sha256=BODY_SHA.upper()) == BODY_SHA
    assert dest.read_bytes() == BODY
    with pytest.raises(InputError, match="does not exist"):
        fetch((tmp_path / "absent.tsv").as_uri(), dest)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_is_checked_without_content_length_or_pin(server, tmp_path, name):
    """A gzip, zip or HDF5 file cut short by a server that announced no length is retried, then accepted whole."""
    base, hits = server
    dest = tmp_path / name
    fetch(f"{base}/whole/{name}", dest, backoff=0.001)  # negative control: whole, fetched once
    assert dest.read_bytes() == FORMATS[name] and hits[f"/whole/{name}"] == 1
    fetch(f"{base}/cut-once/{name}", dest, backoff=0.001)
    assert dest.read_bytes() == FORMATS[name] and hits[f"/cut-once/{name}"] == 2
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_always_truncated_format_fails_and_leaves_nothing(server, tmp_path, name):
    base, hits = server
    dest = tmp_path / name
    with pytest.raises(
        InputError, match="failed after 2 attempts, last error: the file is truncated"
    ):
        fetch(f"{base}/cut/{name}", dest, retries=1, backoff=0.001)
    assert hits[f"/cut/{name}"] == 2
    assert not dest.exists() and leftovers(tmp_path) == []


def test_ftp_url_is_refused_with_the_schemes_that_work(tmp_path):
    with pytest.raises(InputError, match="unsupported URL scheme 'ftp'"):
        fetch("ftp://ftp.example.org/file.txt.gz", tmp_path / "file.txt.gz")


def test_an_unpinned_text_table_cut_inside_its_last_row_is_refused(server, tmp_path, caplog):
    """The GWAS Catalog table cut after the chromosome of its 41st SNP, with no Content-Length and no
    pin, would give 40 of 42 SNPs silently: its last row is shorter than its header, so it is retried
    and refused, nothing left behind. Whole, it is accepted and its row count logged."""
    base, hits = server
    dest = tmp_path / "gwas_catalog.tsv"
    with pytest.raises(
        InputError, match="last row has 4 of the header's 5 fields: the file is cut short"
    ):
        fetch(f"{base}/catalog-cut.tsv", dest, retries=1, backoff=0.001)
    assert hits["/catalog-cut.tsv"] == 2 and not dest.exists() and leftovers(tmp_path) == []
    with caplog.at_level("INFO"):
        fetch(f"{base}/catalog.tsv", dest)
    assert dest.read_bytes() == CATALOG
    assert "text table: 42 rows of 5 fields, the last one complete" in caplog.text
    # pinned, the digest decides: the cut file fails its checksum instead
    with pytest.raises(InputError, match="SHA-256 mismatch"):
        fetch(
            f"{base}/catalog-cut.tsv",
            tmp_path / "pinned.tsv",
            sha256=hashlib.sha256(CATALOG).hexdigest(),
        )


def test_text_tables_without_rows_separators_or_with_a_trailer_are_passed(tmp_path):
    """Negative controls of the last-row check: a file of one column, a header alone, and a GEO
    series matrix whose trailer line is not a row."""
    from deepmodules.data.integrity import check_text_table

    cases = {
        "one_column.txt": "gene\nA\nB\n",
        "header_only.tsv": "gene\tvalue\n",
        "series_matrix.txt": '"ID_REF"\t"GSM1"\n"1007_s_at"\t5.1\n!series_matrix_table_end\n',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert check_text_table(tmp_path / name, "\t") == "text file", name
    (tmp_path / "crlf.tsv").write_bytes(b"a\tb\r\n1\t2\r\n3\t4\r\n")
    assert check_text_table(tmp_path / "crlf.tsv", "\t").startswith("text table: 2 rows")
