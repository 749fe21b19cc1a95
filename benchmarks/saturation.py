"""Flat (saturated) sigmoid nodes and reconstruction against training choices, in two regimes.

    python benchmarks/saturation.py            # demo-sized compendium (2,000 genes, deep128)
    python benchmarks/saturation.py --quick    # the tests' small compendium (300 genes, deep32)

The microarray arm of the simulated compendium is prepared as the workflow does (min-max normalized,
split into train and test). Two regimes:

- ``full``: the whole compendium (1,500 training samples in the demo);
- ``small``: 250 of its samples (about 200 training samples), the size of a small real compendium.

Each recipe trains the same model from the same seed; what varies is one of: the stopping rule
(``fixed``: ``epochs`` epochs as before; ``early``: :class:`deepmodules.model.training.Stopping` with the
schema's patience, minimum improvement, epoch cap and step floor), the learning rate, the kernel
initializer (Keras ``glorot_uniform`` or ``he_uniform``) and centred biases
(:func:`deepmodules.model.autoencoder.center_biases`). The baseline of each regime is the recipe a user got
before early stopping: the demo's (60 epochs, batch 32, lr 1e-3) on the full regime, the paper's (100
epochs, batch 256, lr 1e-4) on the small one. For each run: flat nodes per hidden layer (activation sd
< 0.01 over all samples, as the train rule counts them), the gene-wise median test R^2, epochs,
optimizer steps, seconds and the stop reason. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
SMALL_REGIME_SAMPLES = 250
FLAT_SD = 0.01
SEED = 1


def compendium_values(folder: Path, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """The simulated microarray compendium of the demo (regime ``mixed``, simulator ``params``),
    normalized as by the workflow: (values, is-train mask)."""
    from deepmodules.config import validate_config
    from deepmodules.data import compendium
    from deepmodules.simulate import simulate

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    simulate(folder, params, 7, config["simulate"]["regime"])
    spec = config["datasets"]["microarray"]
    for key in ("matrix", "annotation"):
        spec[key] = spec[key].replace("resources/demo", str(folder))
    validate_config(config, ROOT / "config" / "schema.yaml")
    data = compendium.prepare(spec, config["diseases"], SEED, folder / "compendium")
    return np.asarray(data.values), data.samples["split"].to_numpy() == "train"


def recipes(defaults: dict, quick: bool) -> dict[str, dict[str, dict]]:
    """Per regime, the recipes to compare: the baseline, and changes one at a time or together."""
    early = {k: defaults[k] for k in ("patience", "min_improvement", "min_steps", "patience_steps")}
    early["epochs"] = defaults["epochs"]
    if quick:  # a sixteenth of the steps, to run in under a minute
        early["min_steps"] = 500
        early["patience_steps"] = 125
        early["epochs"] = 60
    demo = {"stop": {"epochs": 60}, "batch_size": 32, "learning_rate": 1e-3}
    paper = {"stop": {"epochs": 100}, "batch_size": 256, "learning_rate": 1e-4}
    out = {}
    for regime, base in (("full", demo), ("small", paper)):
        other_lr = 1e-4 if base["learning_rate"] == 1e-3 else 1e-3
        plain = {"initializer": "glorot_uniform", "centered_biases": False}
        runs = {"baseline": {**base, **plain}}
        runs["early"] = {**base, **plain, "stop": early}
        runs[f"early+lr{other_lr:g}"] = {**runs["early"], "learning_rate": other_lr}
        runs["early+he"] = {**runs["early"], "initializer": "he_uniform"}
        runs["early+centered"] = {**runs["early"], "centered_biases": True}
        runs["fixed+centered"] = {**runs["baseline"], "centered_biases": True}
        runs[f"early+centered+lr{other_lr:g}"] = {
            **runs["early+centered"],
            "learning_rate": other_lr,
        }
        out[regime] = runs
    return out


def run_recipe(
    model_id: str, values: np.ndarray, train: np.ndarray, recipe: dict, history: bool = False
) -> dict:
    """Train one model with ``recipe``; flat nodes per layer, median test R^2, steps, stop reason
    (and the per-epoch ``history`` table where asked)."""
    from deepmodules.model import activity, autoencoder, network, training
    from deepmodules.model.architecture import parse_model_id
    from deepmodules.model.reconstruction import flat_node_columns, r2_per_gene

    spec = parse_model_id(model_id)
    train_rows, test_rows = np.flatnonzero(train), np.flatnonzero(~train)
    model = autoencoder.build_autoencoder(
        values.shape[1],
        spec,
        {"learning_rate": recipe["learning_rate"]},
        seed=SEED,
        initializer=recipe["initializer"],
    )
    if recipe["centered_biases"]:
        autoencoder.center_biases(model, values[train_rows])
    stopping = training.Stopping(**recipe["stop"])
    start = time.perf_counter()
    result = training.train(
        model, values, train_rows, test_rows, stopping, recipe["batch_size"], SEED
    )
    seconds = time.perf_counter() - start
    layers = autoencoder.dense_layers(model)
    counts = activity.flat_counts(
        activity.mark_flat(activity.node_activity(layers, values), FLAT_SD)
    )
    x = values[test_rows]
    r2 = r2_per_gene(x, network.reconstruct(layers, x))
    return {
        **flat_node_columns(counts),
        "r2_gene_median_test": float(np.nanmedian(r2)),
        "epochs": len(result.history),
        "steps": int(result.history["steps"].iloc[-1]),
        "best_epoch": result.best_epoch,
        "seconds": round(seconds, 1),
        "stopped": result.stopped,
    } | ({"history": result.history} if history else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the tests' small compendium")
    args = parser.parse_args()
    import keras

    from deepmodules import simulate as sim
    from deepmodules.config import section_defaults

    defaults = section_defaults(ROOT / "config" / "schema.yaml", "training")
    model_id = "deep32" if args.quick else "deep128"
    with tempfile.TemporaryDirectory() as folder:
        params = sim.SMALL_PARAMS if args.quick else {}
        values, train = compendium_values(Path(folder), params)
    rng = np.random.default_rng(SEED)
    small = np.sort(rng.choice(len(values), SMALL_REGIME_SAMPLES, replace=False))
    regimes = {"full": (values, train), "small": (values[small], train[small])}
    results = {}
    for regime, runs in recipes(defaults, args.quick).items():
        regime_values, regime_train = regimes[regime]
        for name, recipe in runs.items():
            measured = run_recipe(model_id, regime_values, regime_train, recipe)
            results[f"{regime}/{name}"] = {**recipe, **measured}
            print(f"{regime}/{name}: {json.dumps(measured)}", flush=True)
    print(
        json.dumps(
            {
                "benchmark": "saturation",
                "quick": args.quick,
                "model": model_id,
                "samples": {"full": int(len(values)), "small": SMALL_REGIME_SAMPLES},
                "train_samples": {k: int(v[1].sum()) for k, v in regimes.items()},
                "genes": int(values.shape[1]),
                "flat_sd": FLAT_SD,
                "keras_backend": keras.backend.backend(),
                "cpus": os.cpu_count(),
                "machine": platform.processor() or platform.machine(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
