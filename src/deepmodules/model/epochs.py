"""How a run of epochs is executed: many optimizer steps per compiled call, or one call per batch.

:func:`deepmodules.model.training.train` decides when to stop; a runner executes the epochs in between.
Each runner takes the order of the training rows of several epochs (one permutation per epoch, seeded
by the epoch) and returns, per epoch, the mean training loss of its batches (each computed before the
batch's update, weighted by the batch's size) and the test loss after the epoch. It keeps a copy of
the weights of the epoch with the lowest test loss so far (the weights training returns).

- :class:`ResidentEpochs` (TensorFlow backend, matrices that fit in memory): the training and test rows
  are held in memory as tensors and one compiled call runs every step of every epoch it is given, with
  the test loss and the best-weights copy computed in the same graph. On a small compendium, where an
  epoch is one optimizer step, this removes the per-step cost of a Python call, of gathering the batch
  from the memory-mapped file and of copying the weights to numpy on each improvement.
- :class:`BatchEpochs` (any Keras backend, any size): one ``train_on_batch`` call per batch, batches
  gathered from the memory-mapped matrix; the way to train a compendium too large to hold in memory.

Both compute the loss of a batch B as the mean squared error over its samples and genes plus the
kernels' regularization, L_B = mean_{i in B, g} (x_ig - xhat_ig)^2 + sum_l lambda |W_l|_1.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Training and test rows are kept in memory (float32) up to this size; beyond it batches are read from
# the memory-mapped matrix.
RESIDENT_BYTES = 4 << 30
EVAL_BATCH = 4096  # rows per forward pass of the test-loss evaluation


# Models up to this width train (and reverse-train) on one thread: their steps are too small to share.
# deep128 on the demo's 2,000 genes ran 10 % slower on one thread than on two, so two such jobs side by
# side finish in 0.55 of the time of one after the other (docs/benchmarks.md).
ONE_THREAD_WIDTH = 128


def threads(width: int, most: int) -> int:
    """Threads of a training job for a model of hidden ``width``: 1 for a small model, else ``most``."""
    return 1 if width <= ONE_THREAD_WIDTH else most


def memory_mb(matrix_mb: float) -> int:
    """Memory (MiB) for a training job on a samples × genes matrix of ``matrix_mb`` MiB.

    Held in memory (up to :data:`RESIDENT_BYTES`) the job peaked at 3.7× the matrix at paper size (the
    mapped file's pages, the gathered rows and TensorFlow's copy; docs/benchmarks.md); read per batch
    from the mapped file, at 1.7×. Both are rounded up, with 3,000 MiB for the libraries at least.
    """
    factor = 4.0 if matrix_mb * 2**20 <= RESIDENT_BYTES else 2.5
    return max(3000, int(factor * matrix_mb))


def batches(values: np.ndarray, rows: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Consecutive batches of ``rows`` gathered from ``values`` (rows read in file order per batch)."""
    for start in range(0, len(rows), batch_size):
        yield np.asarray(values[np.sort(rows[start : start + batch_size])], dtype=np.float32)


def mean_loss(step, xs: Iterator[np.ndarray]) -> float:
    """Sample-weighted mean of ``step(x, x)`` (the batch's reconstruction loss) over batches ``xs``."""
    total = count = 0.0
    for x in xs:
        total += float(step(x, x)) * len(x)
        count += len(x)
    return total / count


def variable_arrays(variables) -> list[np.ndarray]:
    """Numpy copies of Keras variables."""
    return [np.asarray(v).copy() for v in variables]


class BatchEpochs:
    """Epochs of one ``train_on_batch`` call per batch (any backend, matrices of any size)."""

    def __init__(self, model, values, train_rows, test_rows, batch_size):
        self.model, self.values, self.batch_size = model, values, batch_size
        self.train_rows, self.test_rows = train_rows, test_rows
        self.best = variable_arrays(model.variables)
        self.best_loss = np.inf

    def set_best(self, weights: list[np.ndarray], loss: float) -> None:
        """Restore the best weights and their test loss (a resumed run)."""
        self.best, self.best_loss = [np.asarray(w) for w in weights], loss

    def best_weights(self) -> list[np.ndarray]:
        return self.best

    def run(self, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Train one epoch per row of ``orders`` (training rows of the compendium, in epoch order)."""
        losses = []
        for order in orders:
            train_loss = mean_loss(
                self.model.train_on_batch, batches(self.values, order, self.batch_size)
            )
            test_loss = mean_loss(
                self.model.test_on_batch, batches(self.values, self.test_rows, self.batch_size)
            )
            if test_loss < self.best_loss:
                self.best, self.best_loss = variable_arrays(self.model.variables), test_loss
            losses.append((train_loss, test_loss))
        return tuple(np.array(column) for column in zip(*losses, strict=True))


class ResidentEpochs:
    """Epochs compiled into one TensorFlow graph per call, the matrices held in memory."""

    def __init__(self, model, values, train_rows, test_rows, batch_size):
        import tensorflow as tf

        self.model, self.batch_size = model, batch_size
        self.train_rows = np.sort(train_rows)  # row i of the resident training matrix
        self.x_train = tf.constant(np.asarray(values[self.train_rows], dtype=np.float32))
        self.x_test = tf.constant(np.asarray(values[np.sort(test_rows)], dtype=np.float32))
        model.optimizer.build(model.trainable_variables)
        self.best = [tf.Variable(v, trainable=False) for v in model.variables]
        self.best_loss = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.compiled = tf.function(
            self._epochs,
            input_signature=[tf.TensorSpec([None, len(train_rows)], tf.int32)],
            reduce_retracing=True,
        )

    @staticmethod
    def fits(values, train_rows, test_rows) -> bool:
        """Whether the training and test rows fit in :data:`RESIDENT_BYTES` as float32."""
        return (len(train_rows) + len(test_rows)) * values.shape[1] * 4 <= RESIDENT_BYTES

    def set_best(self, weights: list[np.ndarray], loss: float) -> None:
        for variable, value in zip(self.best, weights, strict=True):
            variable.assign(value)
        self.best_loss.assign(loss)

    def best_weights(self) -> list[np.ndarray]:
        return variable_arrays(self.best)

    def run(self, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positions = np.searchsorted(self.train_rows, orders).astype(np.int32)
        train_loss, test_loss = self.compiled(positions)
        return train_loss.numpy().astype(np.float64), test_loss.numpy().astype(np.float64)

    def _loss(self, x, training):
        import tensorflow as tf

        xhat = tf.cast(self.model(x, training=training), tf.float32)
        loss = tf.reduce_mean(tf.square(x - xhat))
        for penalty in self.model.losses:
            loss += tf.cast(penalty, tf.float32)
        return loss

    def _step(self, x):
        import tensorflow as tf

        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            loss = self._loss(x, training=True)
        self.model.optimizer.apply_gradients(
            zip(tape.gradient(loss, variables), variables, strict=True)
        )
        return loss

    def _test_loss(self):
        import tensorflow as tf

        n = tf.shape(self.x_test)[0]
        total = tf.constant(0.0)
        for start in tf.range(0, n, EVAL_BATCH):
            x = self.x_test[start : start + EVAL_BATCH]
            total += self._loss(x, training=False) * tf.cast(tf.shape(x)[0], tf.float32)
        return total / tf.cast(n, tf.float32)

    def _epochs(self, orders):
        import tensorflow as tf

        n_epochs, n_train = tf.shape(orders)[0], tf.shape(orders)[1]
        train_losses = tf.TensorArray(tf.float32, size=n_epochs)
        test_losses = tf.TensorArray(tf.float32, size=n_epochs)
        for epoch in tf.range(n_epochs):
            total = tf.constant(0.0)
            for start in tf.range(0, n_train, self.batch_size):
                rows = orders[epoch, start : start + self.batch_size]
                x = tf.gather(self.x_train, rows)
                total += self._step(x) * tf.cast(tf.shape(rows)[0], tf.float32)
            test_loss = self._test_loss()
            if test_loss < self.best_loss:
                self.best_loss.assign(test_loss)
                for best, variable in zip(self.best, self.model.variables, strict=True):
                    best.assign(variable)
            train_losses = train_losses.write(epoch, total / tf.cast(n_train, tf.float32))
            test_losses = test_losses.write(epoch, test_loss)
        return train_losses.stack(), test_losses.stack()
