"""Downloads against a real local HTTP server: retries, truncation, 404, checksum, file:// URLs."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deepmodules.data.download import fetch, sha256sum
from deepmodules.errors import InputError

BODY = b"gene\tvalue\n" + b"ACGT" * 5000
BODY_SHA = hashlib.sha256(BODY).hexdigest()


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
        elif self.path == "/down":
            self.send_error(503, "down")
        else:
            self.send_error(404, "no such file")

    def _send(self, body: bytes, length: int | None = None) -> None:
        self.send_response(200)
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
