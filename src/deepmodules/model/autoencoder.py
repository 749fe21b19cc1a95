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

Initialization: kernels are drawn from a Keras initializer (``glorot_uniform`` by default, as in Keras
and so presumably the paper); with ``centered_biases`` the biases are then set from a sample of the
training data (:func:`center_biases`) so that no sigmoid starts in saturation.

Training may compute in bfloat16 (Keras' ``mixed_bfloat16`` policy: variables and the loss stay float32)
where the processor multiplies bfloat16 natively; :func:`float32_copy` turns the trained model back into
a float32 one for saving, and :func:`dense_layers` into the numpy layers of
:mod:`deepmodules.model.network`, which every rule downstream of training computes with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepmodules.model.architecture import ModelSpec
from deepmodules.model.backend import keras
from deepmodules.model.network import DenseLayer, activate


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
            keras.ops.shape(inputs),
            stddev=self.stddev,
            dtype=inputs.dtype,
            seed=self.seed_generator,
        )
        return keras.ops.clip(inputs + noise, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


@keras.saving.register_keras_serializable(package="deepmodules")
class FusedAdam(keras.optimizers.Adam):
    """Keras' Adam computed by TensorFlow's fused kernel (one pass over each variable per step).

    The update is Keras' own (Kingma & Ba, Algorithm 1 with epsilon added to sqrt(v)):
    m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
    w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon).
    """

    def update_step(self, gradient, variable, learning_rate):
        import tensorflow as tf

        dtype = variable.dtype
        step = keras.ops.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=keras.ops.power(keras.ops.cast(self.beta_1, dtype), step),
            beta2_power=keras.ops.power(keras.ops.cast(self.beta_2, dtype), step),
            lr=keras.ops.cast(learning_rate, dtype),
            beta1=keras.ops.cast(self.beta_1, dtype),
            beta2=keras.ops.cast(self.beta_2, dtype),
            epsilon=keras.ops.cast(self.epsilon, dtype),
            grad=keras.ops.cast(gradient, dtype),
        )


def adam(
    learning_rate: float = 1e-4,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    decay: float = 1e-6,
) -> keras.optimizers.Adam:
    """Adam with the legacy per-step inverse-time decay lr / (1 + decay * t).

    With the TensorFlow backend the update runs in TensorFlow's fused Adam kernel (:class:`FusedAdam`).
    """
    schedule = keras.optimizers.schedules.InverseTimeDecay(learning_rate, 1, decay)
    optimizer = FusedAdam if keras.backend.backend() == "tensorflow" else keras.optimizers.Adam
    return optimizer(schedule, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)


def native_bfloat16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether this processor multiplies bfloat16 natively (x86 AVX512_BF16 or AMX-BF16)."""
    try:
        flags = Path(cpuinfo).read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    """The Keras dtype policy for ``training.precision``.

    ``auto`` is ``mixed_bfloat16`` on a processor with native bfloat16 and no visible GPU, else
    ``float32``; ``float32`` and ``mixed_bfloat16`` are taken as they are.
    """
    if precision != "auto":
        return precision
    on_cpu = not keras.distribution.list_devices("gpu")
    return "mixed_bfloat16" if on_cpu and native_bfloat16() else "float32"


def build_autoencoder(
    n_genes: int,
    spec: ModelSpec,
    optimizer: dict | None = None,
    noise_sd: float = 0.5,
    l1: float = 1e-8,
    seed: int = 0,
    dtype: str = "float32",
    initializer: str = "glorot_uniform",
) -> keras.Model:
    """Build and compile the autoencoder described by ``spec`` for ``n_genes`` inputs.

    ``seed`` fixes the weight initialization and the corruption noise; ``dtype`` is the Keras dtype
    policy of the layers (``float32`` or ``mixed_bfloat16``); ``initializer`` names the Keras initializer
    of the kernels (biases start at 0).
    """
    keras.utils.set_random_seed(seed)
    regularizer = keras.regularizers.L1(l1) if spec.variant == "sparse" else None
    inputs = keras.Input((n_genes,), name="expression")
    x = inputs
    if spec.variant == "denoising":
        x = ClippedGaussianNoise(noise_sd, seed=seed, name="corruption", dtype=dtype)(x)
    for name, width in zip(spec.layers, spec.widths, strict=True):
        x = keras.layers.Dense(
            width,
            activation="sigmoid",
            kernel_initializer=initializer,
            kernel_regularizer=regularizer,
            name=name,
            dtype=dtype,
        )(x)
    outputs = keras.layers.Dense(
        n_genes,
        activation="sigmoid",
        kernel_initializer=initializer,
        kernel_regularizer=regularizer,
        name="output",
        dtype=dtype,
    )(x)
    model = keras.Model(inputs, outputs, name=spec.model_id)
    model.compile(optimizer=adam(**(optimizer or {})), loss="mse")
    return model


def center_biases(model: keras.Model, x: np.ndarray, eps: float = 1e-3) -> None:
    """Data-dependent biases: every sigmoid starts centred on the samples ``x`` (samples × genes).

    Layer by layer, with h_0 = x and the initial kernel W_l, the hidden biases are
    b_l = -mean_x(h_{l-1} W_l), so that each node's pre-activation has mean 0 over the samples (the
    sigmoid's steepest point, away from saturation); the output biases are
    b = logit(mean_x(x_g)) - mean_x(h_L W), so that the first reconstruction is each gene's mean level
    (clipped to [eps, 1 - eps]). The kernels are left as initialized.
    """
    h = np.asarray(x, dtype=np.float64)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for layer in dense:
        kernel = np.asarray(layer.kernel, dtype=np.float64)
        z = h @ kernel
        bias = -z.mean(axis=0)
        if layer is dense[-1]:
            level = np.clip(np.asarray(x, dtype=np.float64).mean(axis=0), eps, 1 - eps)
            bias += np.log(level / (1 - level))
        layer.bias.assign(bias.astype(np.float32))
        h = activate(z + bias, "sigmoid")


def float32_copy(model: keras.Model) -> keras.Model:
    """The same network with float32 layers and the trained weights (uncompiled), for saving."""

    def as_float32(layer: keras.layers.Layer) -> keras.layers.Layer:
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    copy = keras.models.clone_model(model, clone_function=as_float32)
    copy.set_weights(model.get_weights())
    return copy


def dense_layers(model: keras.Model) -> list[DenseLayer]:
    """The model's dense layers in order, from ``h1`` to ``output``, as numpy layers (float64)."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            activation = keras.activations.serialize(layer.activation)
            if isinstance(activation, dict):
                activation = activation.get("config", {}).get("name", activation.get("class_name"))
            layers.append(DenseLayer(layer.name, kernel, bias, str(activation)))
    return layers
