"""Keras, imported once for the whole package, without TensorFlow's native start-up lines.

Loading TensorFlow's shared libraries prints a few lines from C++ before its logging is initialised
("All log messages before absl::InitializeLog() ...", the oneDNN and CPU-instruction notices, CUDA
factory registrations), which ``TF_CPP_MIN_LOG_LEVEL`` does not reach. They would appear once per job.
The import runs with the process's standard error (file descriptor 2) redirected to a temporary file;
afterwards every captured line that is not one of those known notices is written back, so nothing else
that the import prints is lost. Modules and rule scripts take Keras from here:
``from deepmodules.model.backend import keras``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence

# Substrings of the native lines TensorFlow prints while its libraries load (CPU and GPU builds).
START_UP_NOTICES = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "cpu_feature_guard.cc",
    "To enable the following instructions:",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "computation placer already registered",
    "TF-TRT Warning: Could not find TensorRT",
)


@contextlib.contextmanager
def native_stderr_filtered(notices: Sequence[str]) -> Iterator[None]:
    """Capture what is written to file descriptor 2 meanwhile; re-emit the lines holding no notice."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(True) if not any(n in line for n in notices)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


with native_stderr_filtered(START_UP_NOTICES):
    keras = importlib.import_module("keras")
