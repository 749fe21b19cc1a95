"""Optimizer steps to convergence against compendium size, with the schema's stopping defaults.

    python benchmarks/convergence.py            # 250 to 8,000 samples, 2,000 genes, deep64
    python benchmarks/convergence.py --quick    # 250 samples, 300 genes, deep32 (under a minute)

One simulated microarray compendium of the demo's kind (regime ``mixed``) is drawn at the largest size
(at least the simulator's default size);
each smaller compendium is a random subset of its samples, split into training and test samples as the
workflow splits the whole. Each is trained from the same seed with the schema's training defaults
(batch 256, Adam lr 1e-4, centred biases, patience 20 epochs and ``patience_steps``, minimum
improvement 0.1 %, overfit margin 5 %; ``--batch-size`` and ``--learning-rate`` replace the batch
and the rate), with a step floor of ``--max-steps`` (by default the schema's ``training.min_steps``),
so that the test loss, not a cap, ends training. Reported per size: steps per epoch, why
training stopped, the epochs and steps run, the epoch kept, and where the former default cap (1,000
epochs or 8,000 steps, whichever is later) falls, with the lowest test loss by then relative to the
lowest of the whole run (``loss_at_former_cap``: 1.00 means the cap cost nothing), and the steps
after which the test loss first came within 1 % of that lowest (``steps_to_within_1pct``). The baselines are
that former cap and the former wait (``patience_fraction`` 0: ``patience`` epochs and
``patience_steps`` steps, however long the run), read off the same history: where that wait stops
(``fixed_wait_stop_steps``) and its lowest test loss by then relative to the run's lowest
(``fixed_wait_loss``). Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

from deepmodules.config import section_defaults
from deepmodules.model import training

sys.path.insert(0, str(Path(__file__).parent))
from saturation import ROOT, SEED, compendium_values, run_recipe  # noqa: E402

# The step floor of earlier versions (what the paper's recipe gave its own compendium): the baseline.
FORMER_MIN_STEPS = 8000


def former_cap(defaults: dict, steps_per_epoch: int) -> int:
    """The epoch at which the former default cap (``epochs``, floor 8,000 steps) ends training."""
    return max(defaults["epochs"], math.ceil(FORMER_MIN_STEPS / steps_per_epoch))


def fixed_wait_stop(stop: dict, losses: np.ndarray, steps_per_epoch: int) -> dict:
    """Where the rule without ``patience_fraction`` (a fixed wait of ``patience`` epochs and
    ``patience_steps`` steps) stops on the same test losses, and its lowest loss by then relative to
    the run's lowest: ``patience_fraction`` only adds a condition, so the run stops there or later."""
    fixed = training.Stopping(**(stop | {"patience_fraction": 0.0}))
    cap = fixed.epoch_cap(steps_per_epoch)
    seen: list[float] = []
    lowest = np.minimum.accumulate(losses)  # sliced below as views
    kept = improved = 0
    for epoch, loss in enumerate(losses.tolist(), start=1):
        seen.append(loss)
        kept, improved = training.advance(seen, epoch, loss, kept, improved, fixed)
        steps = epoch * steps_per_epoch
        if fixed.reason(epoch, improved, steps, cap, seen, lowest[:epoch]) is not None:
            break
    return {
        "fixed_wait_stop_steps": epoch * steps_per_epoch,
        "fixed_wait_loss": round(float(min(seen) / losses.min()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="300 genes, 250 samples (under a minute)"
    )
    parser.add_argument(
        "--max-steps", type=int, help="the step floor used as cap (default: training.min_steps)"
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="compendium sizes (samples)")
    parser.add_argument("--learning-rate", type=float, help="instead of the schema's default")
    parser.add_argument("--batch-size", type=int, help="instead of the schema's default")
    args = parser.parse_args()
    from deepmodules import simulate as sim

    defaults = section_defaults(ROOT / "config" / "schema.yaml", "training")
    sizes = args.sizes or ([250] if args.quick else [250, 1000, 2000, 4000, 8000])
    model_id = "deep32" if args.quick else "deep64"
    params = dict(sim.SMALL_PARAMS) if args.quick else {}
    # at least the simulator's own size, which its disease studies need
    base = (sim.SMALL_PARAMS if args.quick else sim.DEFAULT_PARAMS)["n_microarray_samples"]
    params["n_microarray_samples"] = max(*sizes, base)
    with tempfile.TemporaryDirectory() as folder:
        values, train = compendium_values(Path(folder), params)
    stop = {
        key: defaults[key]
        for key in (
            "patience",
            "min_improvement",
            "patience_steps",
            "overfit_margin",
            "patience_fraction",
            "epochs",
        )
    }
    recipe = {
        "stop": stop | {"min_steps": args.max_steps or defaults["min_steps"]},
        "batch_size": args.batch_size or defaults["batch_size"],
        "learning_rate": args.learning_rate or defaults["learning_rate"],
        "initializer": defaults["initializer"],
        "centered_biases": defaults["centered_biases"],
    }
    rng = np.random.default_rng(SEED)
    results = {}
    for size in sizes:
        rows = np.sort(rng.choice(len(values), size, replace=False))
        measured = run_recipe(model_id, values[rows], train[rows], recipe, history=True)
        history = measured.pop("history")
        per_epoch = math.ceil(int(train[rows].sum()) / recipe["batch_size"])
        cap = min(former_cap(defaults, per_epoch), len(history))
        losses = history["test_loss"].to_numpy()
        measured |= {
            "train_samples": int(train[rows].sum()),
            "steps_per_epoch": per_epoch,
            "converged": not measured["stopped"].startswith(("epoch cap", "step floor")),
            "former_cap_epoch": former_cap(defaults, per_epoch),
            "former_cap_steps": former_cap(defaults, per_epoch) * per_epoch,
            "loss_at_former_cap": round(float(losses[:cap].min() / losses.min()), 4),
            "best_steps": measured["best_epoch"] * per_epoch,
            "best_test_loss": float(losses.min()),
            "steps_to_within_1pct": int(np.argmax(losses <= 1.01 * losses.min()) + 1) * per_epoch,
        } | fixed_wait_stop(recipe["stop"], losses, per_epoch)
        results[str(size)] = measured
        print(f"{size}: {json.dumps(measured)}", flush=True)
    print(
        json.dumps(
            {
                "benchmark": "convergence",
                "quick": args.quick,
                "model": model_id,
                "genes": int(values.shape[1]),
                "stopping": recipe["stop"],
                "batch_size": recipe["batch_size"],
                "learning_rate": recipe["learning_rate"],
                "former_cap": {"epochs": defaults["epochs"], "min_steps": FORMER_MIN_STEPS},
                "converged_share": sum(r["converged"] for r in results.values()) / len(results),
                "cpu": platform.processor() or platform.machine(),
                "cores": os.cpu_count(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
