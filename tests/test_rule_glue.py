"""The glue of rule scripts: one-line errors, the job log, and library chatter kept out of it."""

import logging
from types import SimpleNamespace

import pytest

from deepmodules.errors import InputError
from deepmodules.workflow import LIBRARY_LOGGERS, run


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    """Thread variables and logging handlers that run() sets, restored after the test."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(variable, raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    libraries = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers, root.level = handlers, level
    for name, library_level in libraries.items():
        logging.getLogger(name).setLevel(library_level)


def job(tmp_path):
    return SimpleNamespace(log=[str(tmp_path / "job.log")], threads=2, rule="demo")


def test_our_info_lines_reach_the_log_and_library_warnings_do_not(tmp_path):
    def main(smk):
        logging.getLogger("deepmodules.model.training").info("epoch 1/2: train loss 0.1")
        logging.getLogger("tensorflow").warning("5 out of the last 5 calls triggered retracing")
        logging.getLogger("absl").warning("start-up chatter")
        logging.getLogger("tensorflow").error("a real TensorFlow error")

    run(main, job(tmp_path))
    text = (tmp_path / "job.log").read_text()
    assert "epoch 1/2: train loss 0.1" in text and "a real TensorFlow error" in text
    assert "retracing" not in text and "start-up chatter" not in text


def test_input_error_is_one_line_in_the_log_and_fails_the_job(tmp_path):
    def main(smk):
        raise InputError("links.txt.gz", "has a header but no links", "pass the full file")

    with pytest.raises(SystemExit) as exit_info:
        run(main, job(tmp_path))
    assert exit_info.value.code == 1
    lines = (tmp_path / "job.log").read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("links.txt.gz: has a header but no links. Fix: pass the full file")
