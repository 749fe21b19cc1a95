"""Training throughput of the deep512 autoencoder on a paper-sized matrix, against plain Keras, and of
small compendia, against one call per batch.

    python benchmarks/training.py            # 27,887 samples × 20,000 genes (7,887 test), 8 epochs
    python benchmarks/training.py --quick    # 3,000 × 4,000, 3 epochs (under a minute)
    python benchmarks/training.py --small    # 250 × 4,000 deep64 and 50 × 10,000 deep512, default stop
    python benchmarks/training.py --small --quick   # the same shapes, a fixed few epochs

A synthetic low-rank-plus-noise matrix in [0, 1], with per-gene levels and ranges like a min-max
normalized compendium, is written to a temporary .npy. Two runs train the same model (batch 256, Adam
with lr 1e-3, the demo's rate) from the same initial weights for the same epochs, each in its own
process (so that its peak memory is its own):

- ``baseline``: the matrix loaded into memory, ``model.fit`` on the numpy train and test arrays with
  Keras' defaults (TensorFlow backend, float32, Keras' Adam);
- ``project``: what the workflow's train rule runs (``training.train``: the matrices held in memory
  where they fit in :data:`deepmodules.model.epochs.RESIDENT_BYTES`, many steps per compiled call,
  checkpoints after every chunk of epochs, ``training.precision: auto``, the fused Adam kernel).

``--small`` trains two small compendia (20 % test, batch 256, lr 1e-4 and the default stopping rule of
config/schema.yaml, so one optimizer step per epoch) twice, each in its own process: ``chunked``, what
the train rule runs (many epochs per compiled call, :class:`deepmodules.model.epochs.ResidentEpochs`), and
``per_batch``, one ``train_on_batch`` call per batch and one test evaluation per epoch from the
memory-mapped matrix (:class:`deepmodules.model.epochs.BatchEpochs`, the loop of earlier versions without
its per-epoch log line). Each case trains on the threads the train rule gives it
(:func:`deepmodules.model.epochs.threads`: one for deep64, as two such jobs share two cores), and the
bfloat16 matmul peak is measured on as many threads, in a process of its own. It reports samples/s,
the fraction of that peak, the time to the stop and the best test loss.

Throughput is training samples per second of training wall time (the test loss after every epoch
included); the arithmetic rate is 6 × parameters FLOP per sample (forward 2, backward 4). The float32
matrix-product peak of the machine is measured with numpy and TensorFlow on 4096 × 4096 matrices. The
test R^2 (global, see :mod:`deepmodules.model.reconstruction`) is computed in float64 after training. Prints
one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PAPER = {"samples": 27887, "genes": 20000, "test": 7887, "epochs": 8}
QUICK = {"samples": 3000, "genes": 4000, "test": 750, "epochs": 3}
MODEL, BATCH, LEARNING_RATE, SEED = "deep512", 256, 1e-3, 1
SMALL = {
    "deep64_250x4000": {"samples": 250, "genes": 4000, "test": 50, "model": "deep64"},
    "deep512_50x10000": {"samples": 50, "genes": 10000, "test": 10, "model": "deep512"},
}
SMALL_QUICK_EPOCHS = {"deep64_250x4000": 150, "deep512_50x10000": 25}


def write_matrix(path: Path, samples: int, genes: int, rank: int = 8, seed: int = 0) -> None:
    """base_g + amplitude_g * sigmoid(U V / sqrt(rank)) + N(0, 0.05^2), clipped to [0, 1].

    Like a min-max normalized compendium, genes differ in level (base ~ U(0.05, 0.45)) and range
    (amplitude ~ U(0.3, 0.6)). Written in blocks of rows.
    """
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(rank, genes)) / np.sqrt(rank)
    base = rng.uniform(0.05, 0.45, genes)
    amplitude = rng.uniform(0.3, 0.6, genes)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(samples, genes))
    for start in range(0, samples, 2048):
        n = min(2048, samples - start)
        signal = base + amplitude / (1 + np.exp(-(rng.normal(size=(n, rank)) @ loadings)))
        out[start : start + n] = np.clip(signal + rng.normal(0, 0.05, signal.shape), 0, 1)
    out.flush()


def matmul_peak(n: int = 4096, repeats: int = 5) -> dict:
    """Best float32 (and TensorFlow bfloat16) GFLOP/s of an n × n matrix product."""
    import tensorflow as tf

    a, b = np.random.default_rng(0).random((2, n, n), dtype=np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    ha, hb = tf.cast(ta, tf.bfloat16), tf.cast(tb, tf.bfloat16)
    products = {
        "numpy_float32": lambda: a @ b,
        "tensorflow_float32": lambda: tf.matmul(ta, tb).numpy(),
        "tensorflow_bfloat16": lambda: tf.matmul(ha, hb).numpy(),
    }
    peak = {}
    for name, product in products.items():
        product()
        best = min(timed(product) for _ in range(repeats))
        peak[name] = 2 * n**3 / best / 1e9
    return peak


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run_variant(variant: str, matrix: Path, test: int, epochs: int) -> dict:
    """Train in this process; returns throughput, peak memory (after training) and test R^2."""
    import keras

    from deepmodules.model import autoencoder, network, reconstruction, training
    from deepmodules.model.architecture import parse_model_id

    values = np.load(matrix, mmap_mode="r")
    rows = np.random.default_rng(SEED).permutation(len(values))
    test_rows, train_rows = np.sort(rows[:test]), np.sort(rows[test:])
    dtype = autoencoder.resolve_precision("auto") if variant == "project" else "float32"
    model = autoencoder.build_autoencoder(
        values.shape[1],
        parse_model_id(MODEL),
        optimizer={"learning_rate": LEARNING_RATE},
        seed=SEED,
        dtype=dtype,
    )
    if variant == "baseline":
        schedule = keras.optimizers.schedules.InverseTimeDecay(LEARNING_RATE, 1, 1e-6)
        model.compile(keras.optimizers.Adam(schedule, epsilon=1e-8), loss="mse")
        in_memory = np.load(matrix)
        x_train, x_test = in_memory[train_rows], in_memory[test_rows]
        del in_memory
        seconds = timed(
            lambda: model.fit(
                x_train, x_train, validation_data=(x_test, x_test), epochs=epochs,
                batch_size=BATCH, shuffle=True, verbose=0,
            )
        )  # fmt: skip
    else:
        with tempfile.TemporaryDirectory() as folder:
            checkpoint = Path(folder) / "state.npz"
            seconds = timed(
                lambda: training.train(
                    model, values, train_rows, test_rows, epochs, BATCH, SEED, checkpoint
                )
            )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    layers = autoencoder.dense_layers(model)
    x = values[test_rows]
    samples_per_s = epochs * len(train_rows) / seconds
    return {
        "variant": variant,
        "dtype": dtype,
        "seconds": seconds,
        "samples_per_s": samples_per_s,
        "gflop_per_s": 6 * model.count_params() * samples_per_s / 1e9,
        "parameters": model.count_params(),
        "peak_rss_bytes": peak_rss,
        "test_r2": reconstruction.r2_global(x, network.reconstruct(layers, x)),
    }


def default_stopping() -> dict:
    """The stopping settings of config/schema.yaml's defaults."""
    from deepmodules.config import section_defaults
    from deepmodules.model.training import STOPPING_SETTINGS

    defaults = section_defaults(Path(__file__).parents[1] / "config" / "schema.yaml", "training")
    return {key: defaults[key] for key in STOPPING_SETTINGS}


def run_small_variant(variant: str, matrix: Path, test: int, model_id: str, epochs: int) -> dict:
    """Train a small compendium in this process with the default stopping rule (or ``epochs``
    epochs when given), chunked or one call per batch."""
    from deepmodules.model import autoencoder, training
    from deepmodules.model import epochs as runners
    from deepmodules.model.architecture import parse_model_id

    values = np.load(matrix, mmap_mode="r")
    rows = np.random.default_rng(SEED).permutation(len(values))
    test_rows, train_rows = np.sort(rows[:test]), np.sort(rows[test:])
    dtype = autoencoder.resolve_precision("auto")
    model = autoencoder.build_autoencoder(
        values.shape[1], parse_model_id(model_id), seed=SEED, dtype=dtype
    )
    autoencoder.center_biases(model, values[train_rows])
    if variant == "per_batch":
        runners.ResidentEpochs.fits = staticmethod(lambda *args: False)
    stopping = training.Stopping(**default_stopping()) if epochs == 0 else epochs
    start = time.perf_counter()
    run = training.train(model, values, train_rows, test_rows, stopping, BATCH, SEED)
    seconds = time.perf_counter() - start
    samples_per_s = len(run.history) * len(train_rows) / seconds
    return {
        "variant": variant,
        "dtype": dtype,
        "seconds": seconds,
        "epochs": len(run.history),
        "best_epoch": run.best_epoch,
        "stopped": run.stopped,
        "best_test_loss": float(run.history["test_loss"].min()),
        "samples_per_s": samples_per_s,
        "gflop_per_s": 6 * model.count_params() * samples_per_s / 1e9,
    }


def small(quick: bool) -> None:
    """Both small cases, chunked and per batch, each on the train rule's threads, in the same run as
    the bfloat16 matmul peak on those threads."""
    from deepmodules.model import epochs as runners
    from deepmodules.model.architecture import parse_model_id

    cores = len(os.sched_getaffinity(0))
    peaks, cases = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for name, case in SMALL.items():
            threads = runners.threads(parse_model_id(case["model"]).width, cores)
            if threads not in peaks:
                peaks[threads] = peak_on_threads(threads)
            peak = peaks[threads]
            matrix = Path(folder) / f"{name}.npy"
            write_matrix(matrix, case["samples"], case["genes"])
            epochs = SMALL_QUICK_EPOCHS[name] if quick else 0
            extra = ["--model", case["model"], "--epochs", str(epochs)]
            runs = {
                variant: child(variant, matrix, {"test": case["test"]}, extra, threads)
                for variant in ("chunked", "per_batch")
            }
            for run in runs.values():
                run["fraction_of_bfloat16_peak"] = run["gflop_per_s"] / peak
                print(
                    f"{name} {run['variant']:>9}: {run['epochs']} epochs in {run['seconds']:.1f} s "
                    f"({run['stopped']}), {run['samples_per_s']:.0f} samples/s, "
                    f"{run['fraction_of_bfloat16_peak']:.1%} of the bfloat16 peak, best test loss "
                    f"{run['best_test_loss']:.5f}"
                )
            chunked, per_batch = runs["chunked"], runs["per_batch"]
            cases[name] = {
                **case,
                "threads": threads,
                "bfloat16_matmul_peak_gflop_per_s": peak,
                "speedup_samples_per_s": chunked["samples_per_s"] / per_batch["samples_per_s"],
                "speedup_time_to_stop": per_batch["seconds"] / chunked["seconds"],
                "best_test_loss_ratio": chunked["best_test_loss"] / per_batch["best_test_loss"],
                **runs,
            }
    summary = {
        "benchmark": "training_small",
        "quick": quick,
        "stopping": "fixed epochs" if quick else default_stopping(),
        "cpu": cpu_model(),
        "cores": cores,
        "cases": cases,
    }
    print(json.dumps(summary))


def thread_environment(threads: int) -> dict:
    """The environment of a process whose thread pools have ``threads`` threads (as a rule's job)."""
    from deepmodules.workflow import THREAD_VARIABLES

    return {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(threads))}


def peak_on_threads(threads: int) -> float:
    """The bfloat16 matmul peak (GFLOP/s) of a process on ``threads`` threads."""
    command = [sys.executable, __file__, "--variant", "peak"]
    result = subprocess.run(
        command, capture_output=True, text=True, env=thread_environment(threads)
    )
    if result.returncode != 0:
        sys.exit(f"the matmul peak failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["tensorflow_bfloat16"]


def child(
    variant: str, matrix: Path, size: dict, extra: list[str] | None = None, threads: int = 0
) -> dict:
    """Run ``variant`` in a process of its own (on ``threads`` threads where given)."""
    command = [sys.executable, __file__, "--variant", variant, "--matrix", str(matrix)]
    command += ["--test", str(size["test"])]
    command += extra or ["--epochs", str(size["epochs"])]
    env = thread_environment(threads) if threads else None
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"the {variant} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small matrix (under a minute)")
    parser.add_argument("--small", action="store_true", help="two small compendia, default stop")
    parser.add_argument(
        "--variant",
        choices=["baseline", "project", "chunked", "per_batch", "peak"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--matrix", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--test", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant == "peak":
        print(json.dumps(matmul_peak()))
        return
    if args.variant in ("chunked", "per_batch"):
        result = run_small_variant(args.variant, args.matrix, args.test, args.model, args.epochs)
        print(json.dumps(result))
        return
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.matrix, args.test, args.epochs)))
        return
    if args.small:
        small(args.quick)
        return

    size = QUICK if args.quick else PAPER
    with tempfile.TemporaryDirectory() as folder:
        matrix = Path(folder) / "expression.npy"
        write_matrix(matrix, size["samples"], size["genes"])
        runs = {variant: child(variant, matrix, size) for variant in ("baseline", "project")}
    peak = matmul_peak()
    baseline, project = runs["baseline"], runs["project"]
    matrix_bytes = 4 * size["samples"] * size["genes"]
    float32_peak = max(peak["numpy_float32"], peak["tensorflow_float32"])
    for run in runs.values():
        run["peak_rss_over_matrix"] = run["peak_rss_bytes"] / matrix_bytes
        run["fraction_of_float32_peak"] = run["gflop_per_s"] / float32_peak
        print(
            f"{run['variant']:>8} ({run['dtype']}): {run['samples_per_s']:.0f} samples/s, "
            f"{run['gflop_per_s']:.1f} GFLOP/s ({run['fraction_of_float32_peak']:.0%} of the float32 "
            f"matmul peak), test R^2 {run['test_r2']:.4f}, peak memory "
            f"{run['peak_rss_over_matrix']:.2f} × the matrix"
        )
    summary = {
        "benchmark": "training",
        "quick": args.quick,
        "model": MODEL,
        "shape": [size["samples"], size["genes"]],
        "test_samples": size["test"],
        "epochs": size["epochs"],
        "batch_size": BATCH,
        "cpu": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "matmul_peak_gflop_per_s": peak,
        "speedup": project["samples_per_s"] / baseline["samples_per_s"],
        "r2_difference": project["test_r2"] - baseline["test_r2"],
        "baseline": baseline,
        "project": project,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
