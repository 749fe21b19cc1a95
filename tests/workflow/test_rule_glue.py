"""The glue of rule scripts: one-line errors, the job log, and library chatter kept out of it."""

import logging
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from deepmodules.errors import InputError
from deepmodules.model.backend import START_UP_NOTICES
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


def test_our_info_lines_reach_the_log_and_library_chatter_does_not(tmp_path):
    def main(smk):
        logging.getLogger("deepmodules.model.training").info("epoch 1/2: train loss 0.1")
        logging.getLogger("absl").warning("start-up chatter")
        logging.getLogger("tensorflow").warning("a tf.function was retraced")
        logging.getLogger("tensorflow").error("a real TensorFlow error")

    run(main, job(tmp_path))
    text = (tmp_path / "job.log").read_text()
    assert "epoch 1/2: train loss 0.1" in text and "a real TensorFlow error" in text
    assert "start-up chatter" not in text
    # TensorFlow's warnings are not hidden: their causes are fixed instead.
    assert "a tf.function was retraced" in text


def test_per_epoch_lines_reach_the_log_but_not_the_console(tmp_path, capsys):
    def main(smk):
        training = logging.getLogger("deepmodules.model.training")
        training.info("epoch 1: quiet on the console", extra={"console": False})
        training.info("epoch 50: shown on the console", extra={"console": True})
        training.info("stopped: patience")

    run(main, job(tmp_path))
    console = capsys.readouterr().err
    text = (tmp_path / "job.log").read_text()
    assert "quiet on the console" in text and "quiet on the console" not in console
    assert "shown on the console" in console and "stopped: patience" in console


def test_input_error_is_one_line_in_the_log_and_fails_the_job(tmp_path):
    def main(smk):
        raise InputError("links.txt.gz", "has a header but no links", "pass the full file")

    with pytest.raises(SystemExit) as exit_info:
        run(main, job(tmp_path))
    assert exit_info.value.code == 1
    lines = (tmp_path / "job.log").read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("links.txt.gz: has a header but no links. Fix: pass the full file")


def test_native_start_up_notices_are_dropped_and_other_native_lines_kept(capfd):
    from deepmodules.model.backend import native_stderr_filtered

    with native_stderr_filtered(START_UP_NOTICES):
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on. You may see\n")
        os.write(2, b"a native error that must stay visible\n")
    err = capfd.readouterr().err
    assert "a native error that must stay visible" in err
    assert "oneDNN" not in err


def test_importing_keras_from_the_package_prints_no_tensorflow_start_up_lines():
    command = [
        sys.executable,
        "-c",
        "from deepmodules.model.backend import keras; print(keras.__name__)",
    ]
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    raw = subprocess.run(
        [sys.executable, "-c", "import keras"], capture_output=True, text=True, env=environment
    )
    assert done.stdout.strip() == "keras"
    assert not [n for n in START_UP_NOTICES if n in done.stderr], done.stderr
    # The same import without the filter prints them on this TensorFlow build.
    assert [n for n in START_UP_NOTICES if n in raw.stderr]


def test_a_job_runs_with_its_threads_in_the_pools_numpy_started_at_import(tmp_path):
    """numpy's BLAS pool starts when a rule script imports numpy, before run() reads the job's
    threads: run() resizes it for the job (1 thread here) and restores it afterwards."""
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones((2, 2)) @ np.ones((2, 2))  # a BLAS pool is loaded
    before = [pool["num_threads"] for pool in threadpool_info()]
    seen = []
    one_thread = SimpleNamespace(log=[str(tmp_path / "job.log")], threads=1, rule="demo")
    run(lambda smk: seen.extend(p["num_threads"] for p in threadpool_info()), one_thread)
    assert seen and set(seen) == {1} and max(before) > 1
    assert [pool["num_threads"] for pool in threadpool_info()] == before
