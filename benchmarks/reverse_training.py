"""Reverse training and scoring at paper size, against the autoencoder training it follows.

    python benchmarks/reverse_training.py            # 27,887 samples × 20,000 genes, paper settings
    python benchmarks/reverse_training.py --quick    # 3,000 × 4,000, 10 epochs (under a minute)

A synthetic matrix (the one of ``benchmarks/training.py``) and a phenotype table like E-MTAB-3732's
(the seven diseases of ``config/paper.yaml``, 40 control cell types) stand in for the compendium. The
stage is timed as the workflow runs it (``reverse_training.disease_scores``, the code of the rules
reverse_training and naive_baseline) with the default settings: three seeds, each reverse network
fitted until its loss is 1e-3 of the no-effect loss (``reverse_training.tolerance``), for the layers
h1, h2, h3 of deep512, for shallow512 and for the naive baseline with 512 hidden nodes. Scores do not
depend on whether the autoencoder is trained, so its initial weights are used.

Three references are measured in the same run:

- ``paper_steps``: the naive baseline with the paper's fixed step count (``tolerance`` 0, as in
  ``config/paper.yaml``: 100 epochs of ceil(N / 256) steps), the most expensive job of that
  configuration, extrapolated from the time of 200 steps of one seed;

- ``training``: the throughput of the workflow's training step for deep512 (the batches and
  ``train_on_batch`` of ``model.epochs``, 30 batches after a warm-up), turned into the time of
  training deep512 alone and the whole sweep of ``config/paper.yaml`` for as many epochs as the reverse
  networks (100 in the paper configuration; 6 × parameters FLOP per sample);
- ``per_sample``: the reverse network trained the plain way, ``model.fit`` on the one-hot rows of all
  samples (one epoch of the naive network and of one h3 network, extrapolated to the epochs and seeds).

Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training import cpu_model, timed, write_matrix  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAPER = {"samples": 27887, "genes": 20000, "epochs": 100, "cell_types": 40}
QUICK = {"samples": 3000, "genes": 4000, "epochs": 10, "cell_types": 10}
WIDTH, BATCH, SEEDS = 512, 256, [1, 2, 3]


def phenotype_table(samples: int, diseases: list[str], cell_types: int, seed: int = 0):
    """Samples with a disease (5 % each) or ``normal`` and one of ``cell_types`` cell types."""
    rng = np.random.default_rng(seed)
    disease = np.full(samples, "normal", dtype=object)
    cases = rng.permutation(samples)[: len(diseases) * (samples // 20)].reshape(len(diseases), -1)
    for name, rows in zip(diseases, cases, strict=True):
        disease[rows] = name
    cell_type = np.array([f"cell type {i}" for i in rng.integers(0, cell_types, samples)])
    for rows in cases:
        cell_type[rows] = cell_type[rows[0]]  # a disease's cases come from one cell type
    columns = {"disease": disease, "cell_type": cell_type, "study": "study"}
    return pd.DataFrame({"sample": np.arange(samples).astype(str), **columns})


def training_seconds(values: np.ndarray, epochs: int, sweep: list[str]) -> dict:
    """Seconds of training deep512 and the ``sweep`` for ``epochs`` epochs, from deep512's throughput.

    The training split is the paper's: 20,000 of 27,887 samples.
    """
    from deepmodules.model import autoencoder
    from deepmodules.model import epochs as runners
    from deepmodules.model.architecture import parse_model_id

    dtype = autoencoder.resolve_precision("auto")
    model = autoencoder.build_autoencoder(values.shape[1], parse_model_id("deep512"), dtype=dtype)
    rows = np.arange(min(len(values), 31 * BATCH))
    step = model.train_on_batch
    runners.mean_loss(step, runners.batches(values, rows[:BATCH], BATCH))  # warm-up
    seconds = timed(lambda: runners.mean_loss(step, runners.batches(values, rows[BATCH:], BATCH)))
    flop_per_s = 6 * model.count_params() * (len(rows) - BATCH) / seconds
    genes = values.shape[1]

    def model_seconds(model_id: str) -> float:
        spec = parse_model_id(model_id)
        widths = [genes, *spec.widths, genes]
        parameters = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
        return 6 * parameters * round(len(values) * 20000 / 27887) * epochs / flop_per_s

    return {
        "dtype": dtype,
        "gflop_per_s": flop_per_s / 1e9,
        "deep512_s": model_seconds("deep512"),
        "sweep_s": sum(model_seconds(m) for m in sweep),
    }


def per_sample_seconds(samples: pd.DataFrame, targets: np.ndarray, hidden: int) -> float:
    """One epoch of the reverse network trained on the one-hot rows of all samples (``model.fit``)."""
    import keras

    from deepmodules.modules.reverse_network import one_hot
    from deepmodules.modules.reverse_training import phenotype_labels

    c, _ = one_hot(phenotype_labels(samples, "normal"))
    layers = [keras.layers.Dense(hidden, "sigmoid"), keras.layers.Dense(targets.shape[1])]
    model = keras.Sequential([keras.Input((c.shape[1],)), *layers])
    model.compile(optimizer="adam", loss="mse")
    model.fit(c[:BATCH], targets[:BATCH], batch_size=BATCH, verbose=0)  # warm-up
    return timed(lambda: model.fit(c, targets, batch_size=BATCH, epochs=1, verbose=0))


def paper_step_seconds(samples: pd.DataFrame, values: np.ndarray, epochs: int) -> float:
    """Seconds of the naive baseline's three fits with the paper's step count: the time of one step is
    the difference of a 300-step and a 100-step fit over 200 (which cancels the phenotype means)."""
    from deepmodules.modules.reverse_network import fit_reverse
    from deepmodules.modules.reverse_training import phenotype_labels

    labels = phenotype_labels(samples, "normal")

    def fit(steps: int) -> float:
        return timed(lambda: fit_reverse(labels, values, WIDTH, steps, len(labels), 1e-3, 1))

    per_step = (fit(300) - fit(100)) / 200
    return per_step * epochs * int(np.ceil(len(labels) / BATCH)) * len(SEEDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small matrix (under a minute)")
    args = parser.parse_args()
    size = QUICK if args.quick else PAPER
    paper = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    diseases = {name: d["label"] for name, d in paper["diseases"].items()}
    settings = {"seeds": SEEDS, "epochs": size["epochs"], "batch_size": BATCH}
    settings |= {"learning_rate": 1e-3, "score": "contrast", "tolerance": 1e-3, "max_steps": 20000}
    settings["naive_fit"] = "network"  # the fits, not their closed form, are what is timed

    from deepmodules.model import autoencoder, network
    from deepmodules.model.architecture import parse_model_id
    from deepmodules.modules.reverse_training import disease_scores, phenotype_labels

    samples = phenotype_table(size["samples"], list(diseases.values()), size["cell_types"])
    with tempfile.TemporaryDirectory() as folder:
        matrix = Path(folder) / "expression.npy"
        write_matrix(matrix, size["samples"], size["genes"])
        values = np.load(matrix, mmap_mode="r")
        genes = [f"G{i}" for i in range(values.shape[1])]
        jobs, models = {}, {}
        for model_id, layers in (("deep512", ["h1", "h2", "h3"]), ("shallow512", ["h1"])):
            model = autoencoder.build_autoencoder(values.shape[1], parse_model_id(model_id))
            dense = models[model_id] = autoencoder.dense_layers(model)
            for layer in layers:
                jobs[f"{model_id}/{layer}"] = timed(
                    lambda dense=dense, layer=layer: disease_scores(
                        values, samples, genes, diseases, "normal", settings, dense, layer
                    )
                )
                print(f"{model_id}/{layer}: {jobs[f'{model_id}/{layer}']:.1f} s", flush=True)
        jobs["naive512/h1"] = timed(
            lambda: disease_scores(
                values, samples, genes, diseases, "normal", settings, hidden=WIDTH
            )
        )
        print(f"naive512/h1: {jobs['naive512/h1']:.1f} s", flush=True)
        paper_steps = paper_step_seconds(samples, values, size["epochs"])
        print(f"naive512/h1 with the paper's step count: {paper_steps:.1f} s", flush=True)
        stage = sum(jobs.values())
        epochs_times_seeds = size["epochs"] * len(SEEDS)
        h3 = network.encode(models["deep512"], values, "h3")
        per_sample = {
            "h3_s": per_sample_seconds(samples, h3, WIDTH) * epochs_times_seeds,
            "naive_s": per_sample_seconds(samples, np.asarray(values), WIDTH) * epochs_times_seeds,
        }
        train = training_seconds(values, size["epochs"], paper["models"]["sweep"])
    summary = {
        "benchmark": "reverse_training",
        "quick": args.quick,
        "shape": [size["samples"], size["genes"]],
        "phenotypes": int(phenotype_labels(samples, "normal").nunique()),
        "epochs": size["epochs"],
        "seeds": len(SEEDS),
        "jobs_s": jobs,
        "stage_s": stage,
        "naive_paper_steps_s": paper_steps,
        "per_sample_extrapolated_s": per_sample,
        "training": train,
        "stage_over_deep512_training": stage / train["deep512_s"],
        "stage_over_sweep_training": stage / train["sweep_s"],
        "target": 0.1,
        "cpu": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
