"""Dense autoencoders of the paper (Methods: "Parameter optimization").

Every hidden layer and the output layer is a dense layer with a sigmoid activation; the loss is the mean
squared error of the reconstruction of the min-max normalized expression; the optimizer is Adam with
lr = 1e-4, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 and an inverse-time decay of 1e-6 per step
(lr_t = lr / (1 + decay * t), the legacy Keras ``decay`` argument).

Model ids name the architecture: ``deep512`` is genes -> 512 -> 512 -> 512 -> genes, ``shallow1024`` is
genes -> 1024 -> genes, and a suffix names a variant of a deep model: ``-denoising`` (Gaussian input noise
of sd 0.5 clipped to [0, 1] during training), ``-sparse`` (L1 penalty 1e-8 on every kernel) and ``-funnel``
(hidden widths 2H, H, 2H: the encoder narrows to the code of width H and the decoder widens back).
Hidden layers are named ``h1``, ``h2``, ``h3`` from the input side; the last layer is ``output``.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from deepmodules.errors import InputError
from deepmodules.models import ModelSpec


@keras.saving.register_keras_serializable(package="deepmodules")
class ClippedGaussianNoise(keras.layers.Layer):
    """Denoising corruption of the paper: x + N(0, sd^2), clipped to [0, 1]; identity at inference."""

    def __init__(self, stddev: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        noise = keras.random.normal(
            keras.ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator
        )
        return keras.ops.clip(inputs + noise, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


def adam(
    learning_rate: float = 1e-4,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    decay: float = 1e-6,
) -> keras.optimizers.Adam:
    """Adam with the legacy per-step inverse-time decay lr / (1 + decay * t)."""
    schedule = keras.optimizers.schedules.InverseTimeDecay(learning_rate, 1, decay)
    return keras.optimizers.Adam(schedule, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)


def build_autoencoder(
    n_genes: int,
    spec: ModelSpec,
    optimizer: dict | None = None,
    noise_sd: float = 0.5,
    l1: float = 1e-8,
    seed: int = 0,
) -> keras.Model:
    """Build and compile the autoencoder described by ``spec`` for ``n_genes`` inputs.

    ``seed`` fixes the weight initialization, the corruption noise and the batch order of training.
    """
    keras.utils.set_random_seed(seed)
    regularizer = keras.regularizers.L1(l1) if spec.variant == "sparse" else None
    inputs = keras.Input((n_genes,), name="expression")
    x = inputs
    if spec.variant == "denoising":
        x = ClippedGaussianNoise(noise_sd, seed=seed, name="corruption")(x)
    for name, width in zip(spec.layers, spec.widths, strict=True):
        x = keras.layers.Dense(
            width, activation="sigmoid", kernel_regularizer=regularizer, name=name
        )(x)
    outputs = keras.layers.Dense(
        n_genes, activation="sigmoid", kernel_regularizer=regularizer, name="output"
    )(x)
    model = keras.Model(inputs, outputs, name=spec.model_id)
    model.compile(optimizer=adam(**(optimizer or {})), loss="mse")
    return model


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


def dense_layers(model: keras.Model) -> list[DenseLayer]:
    """The model's dense layers in order, from ``h1`` to ``output``."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            activation = keras.activations.serialize(layer.activation)
            if isinstance(activation, dict):
                activation = activation.get("config", {}).get("name", activation.get("class_name"))
            layers.append(DenseLayer(layer.name, kernel, bias, str(activation)))
    return layers


def layers_after(layers: list[DenseLayer], layer: str) -> list[DenseLayer]:
    """The dense layers that follow hidden layer ``layer`` (its decoder side, output included)."""
    names = [d.name for d in layers]
    if layer not in names[:-1]:
        raise InputError(
            f"layer {layer!r}", f"is not a hidden layer of this model ({names[:-1]})", "pick one"
        )
    return layers[names.index(layer) + 1 :]


def encode(layers: list[DenseLayer], x: np.ndarray, layer: str, batch: int = 4096) -> np.ndarray:
    """Hidden representation of samples ``x`` (samples × genes) at hidden layer ``layer``."""
    names = [d.name for d in layers]
    stop = names.index(layer) + 1
    out = []
    for start in range(0, len(x), batch):
        h = np.asarray(x[start : start + batch], dtype=np.float64)
        for dense in layers[:stop]:
            h = dense(h)
        out.append(h)
    return np.concatenate(out).astype(np.float32)


def reconstruct(layers: list[DenseLayer], x: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Forward pass through the whole autoencoder (no corruption), in batches."""
    out = []
    for start in range(0, len(x), batch):
        h = np.asarray(x[start : start + batch], dtype=np.float64)
        for dense in layers:
            h = dense(h)
        out.append(h.astype(np.float32))
    return np.concatenate(out)


def fit(
    model: keras.Model,
    x_train: np.ndarray,
    x_test: np.ndarray,
    epochs: int,
    batch_size: int = 256,
    verbose: int = 2,
) -> pd.DataFrame:
    """Train ``model`` to reconstruct ``x_train``; returns the per-epoch losses as a table."""
    history = model.fit(
        x_train,
        x_train,
        validation_data=(x_test, x_test),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=verbose,
    )
    table = pd.DataFrame(history.history)
    table.insert(0, "epoch", np.arange(1, len(table) + 1))
    return table.rename(columns={"loss": "train_loss", "val_loss": "test_loss"})
