"""Glue between Snakemake rule scripts and the package: logging, threads and one-line errors."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from deepmodules import bundle
from deepmodules.data import compendium, external
from deepmodules.errors import InputError
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.network import DenseLayer, load_layers

# Loggers of libraries whose warnings are start-up or performance chatter, not findings.
LIBRARY_LOGGERS = ("absl", "h5py", "matplotlib", "fontTools", "PIL")
# Thread-pool sizes a job's libraries take from the environment: the job's `threads`.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


class ExternalOnModel(NamedTuple):
    """An external dataset on its compendium's scale, and the model it is analysed with."""

    sheet: pd.DataFrame
    x: np.ndarray
    reference: compendium.Compendium
    model: str
    layers: list[DenseLayer]
    layer_names: list[str]


def export_environment(source: str | os.PathLike, backend: str) -> None:
    """Make jobs import this package from ``source`` and load Keras with ``backend``.

    Jobs inherit the environment, also inside conda environments and on cluster nodes.
    """
    path = [str(source), *filter(None, [os.environ.get("PYTHONPATH")])]
    os.environ["PYTHONPATH"] = os.pathsep.join(path)
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def for_console(record: logging.LogRecord) -> bool:
    """Whether a log record is shown on the console: all but those logged with ``extra={"console": False}``.

    Such records (training progress lines) still reach the rule's log file.
    """
    return getattr(record, "console", True)


def analysed_with(smk: object) -> tuple[str, dict]:
    """The analysed model and its compendium's settings, for a rule that reads an external dataset:
    its params ``model`` and ``dataset``, or, in an analysis against a bundle (a ``provenance``
    input), the bundle's (:func:`deepmodules.bundle.analysed_with`)."""
    if "provenance" in smk.input.keys():
        return bundle.analysed_with(smk.input.provenance)
    return getattr(smk.params, "model", None), getattr(smk.params, "dataset", None)


def external_on_model(smk: object) -> ExternalOnModel:
    """What the rules that analyse an external dataset share: the dataset read and put on the
    scale of its compendium (or bundle) by :func:`deepmodules.data.external.to_compendium`, that
    reference, and the analysed model's id, trained layers and hidden layers' names."""
    model, dataset = analysed_with(smk)
    reference = compendium.load_reference(smk.input.genes, smk.input.scale)
    sheet, x = external.to_compendium(smk.wildcards.external, smk.params.spec, dataset, reference)
    layers = load_layers(smk.input.network)
    return ExternalOnModel(sheet, x, reference, model, layers, parse_model_id(model).layers)


def run(main: Callable[[object], None], smk: object) -> None:
    """Run a rule's ``main(snakemake)`` with its log file, its thread count and clear errors.

    Bad input (:class:`InputError`) is reported as one line on the terminal and in the rule's log, and
    the job fails; Snakemake then removes the job's outputs, so no partial result is left behind.
    """
    log_path = smk.log[0] if smk.log else None
    console = logging.StreamHandler(sys.stderr)
    console.addFilter(for_console)
    handlers: list[logging.Handler] = [console]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    # absl's start-up lines and the libraries' performance notes are not findings: only their errors
    # reach the log. TensorFlow's own warnings (a tf.function retraced, say) are left visible.
    for library in LIBRARY_LOGGERS:
        logging.getLogger(library).setLevel(logging.ERROR)
    threads = int(getattr(smk, "threads", 1))
    # TensorFlow reads its two pool sizes when its first operation runs, after this point; numpy's
    # BLAS and OpenMP pools started when the script imported numpy, so they are resized in place.
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    try:
        with threadpool_limits(limits=threads):
            main(smk)
    except InputError as error:
        logging.getLogger(f"rule {smk.rule}").error("%s", error)
        sys.exit(1)
