"""A trained autoencoder as numpy arrays: its dense layers, the forward pass, and ``network.npz``.

Every layer of the autoencoder is dense, so the trained network is the list of its layers in order
(``h1``, ``h2``, … from the input side, ``output`` last), each computing

    y = f(x W + b)

from its input x (samples × inputs, one sample per row), kernel W (inputs × nodes), bias b (nodes)
and activation f (sigmoid, or linear for the reverse network's output). :func:`propagate` is the one
forward pass: :func:`forward` runs it over samples in batches, :func:`encode` up to a hidden layer,
:func:`reconstruct` through all of them, and light-up, encodability and reverse training decode codes
with it through :func:`layers_after`, the decoder side of a hidden layer.

The train rule writes the layers to the model's ``network.npz`` (:func:`save_layers`), the file read by
every rule downstream of training (:func:`load_layers`): they compute with numpy alone and never load
Keras, whose import takes seconds per job. This module imports neither Keras nor
:mod:`deepmodules.model.backend`; :func:`deepmodules.model.autoencoder.dense_layers` converts a Keras
model to these layers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepmodules.errors import InputError


@dataclass
class DenseLayer:
    """The parameters of one dense layer, as numpy arrays: y = f(x @ kernel + bias)."""

    name: str
    kernel: np.ndarray
    bias: np.ndarray
    activation: str

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return activate(x @ self.kernel + self.bias, self.activation)


def activate(z: np.ndarray, activation: str) -> np.ndarray:
    """Sigmoid or linear activation in numpy."""
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if activation == "linear":
        return z
    raise ValueError(f"unsupported activation {activation!r}")


def layers_after(layers: list[DenseLayer], layer: str) -> list[DenseLayer]:
    """The dense layers that follow hidden layer ``layer`` (its decoder side, output included)."""
    names = [d.name for d in layers]
    if layer not in names[:-1]:
        raise InputError(
            f"layer {layer!r}", f"is not a hidden layer of this model ({names[:-1]})", "pick one"
        )
    return layers[names.index(layer) + 1 :]


def propagate(layers: list[DenseLayer], x: np.ndarray) -> np.ndarray:
    """Rows ``x`` through ``layers`` in turn: x_k = f_k(x_{k-1} W_k + b_k), in the precision of ``x``."""
    for dense in layers:
        x = dense(x)
    return x


def forward(layers: list[DenseLayer], x: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Samples ``x`` (samples × inputs, memory-mapped or not) through ``layers``
    (:func:`propagate`), in float64 batches; float32 out."""
    out = [
        propagate(layers, np.asarray(x[start : start + batch], dtype=np.float64)).astype(np.float32)
        for start in range(0, len(x), batch)
    ]
    return np.concatenate(out)


def encode(layers: list[DenseLayer], x: np.ndarray, layer: str, batch: int = 4096) -> np.ndarray:
    """Hidden representation of samples ``x`` (samples × genes) at hidden layer ``layer``."""
    stop = [d.name for d in layers].index(layer) + 1
    return forward(layers[:stop], x, batch)


def reconstruct(layers: list[DenseLayer], x: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Forward pass through the whole autoencoder (no corruption), in batches."""
    return forward(layers, x, batch)


def save_layers(path: str | os.PathLike, layers: list[DenseLayer]) -> None:
    """Write ``layers`` to the ``.npz`` file ``path``: per layer, in order, its name, activation,
    kernel and bias (float32), written atomically (:func:`write_npz`).
    """
    path = Path(path)
    arrays = {
        "names": np.array([d.name for d in layers], dtype=str),
        "activations": np.array([d.activation for d in layers], dtype=str),
    }
    for i, dense in enumerate(layers):
        arrays[f"kernel/{i}"] = np.asarray(dense.kernel, dtype=np.float32)
        arrays[f"bias/{i}"] = np.asarray(dense.bias, dtype=np.float32)
    write_npz(path, arrays)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to the .npz ``path`` atomically: to ``<path>.tmp``, flushed to disk, then renamed
    over ``path``, so that a job killed or a disk filling up during the write leaves no partial file
    (and a previous file as it was)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def load_layers(path: str | os.PathLike) -> list[DenseLayer]:
    """The dense layers written by :func:`save_layers`, in order, as float64 arrays."""
    with np.load(path, allow_pickle=False) as saved:
        names, activations = saved["names"].tolist(), saved["activations"].tolist()
        return [
            DenseLayer(
                str(name),
                saved[f"kernel/{i}"].astype(np.float64),
                saved[f"bias/{i}"].astype(np.float64),
                str(activation),
            )
            for i, (name, activation) in enumerate(zip(names, activations, strict=True))
        ]
