"""An external dataset analysed against a trained-model bundle, against the same analysis inside a run.

    python benchmarks/bundle.py            # deep512 on 19,000 simulated genes, 100 external samples
    python benchmarks/bundle.py --quick    # deep32 on 300 genes (about a minute)

One simulated microarray compendium (the demo's kind, regime ``direct``) with an external multiple
sclerosis dataset of 100 samples (40 cases, 30 with another disease, 30 controls). In one run:

1. **In a run** (the baseline): the jobs a run needs for the external dataset's GWAS table and
   verdict (``results/microarray/external/…/``): the input checks, ``normalize``,
   ``check_compendium``, ``train`` of the analysed model, ``gwas_genes``, ``external_dataset`` and
   ``external_verdict``.
   Training is stopped after ``--train-steps`` optimizer steps (a run with the defaults trains until
   the test loss stops improving, 6,666 to more than 150,000 steps in docs/benchmarks.md
   "Convergence"), so the run's job time is reported as measured and with training projected to
   ``--converged-steps`` at the measured time per step.
2. The model is exported (``snakemake bundle``; not timed: it is done once, by whoever trained it).
3. **Against the bundle**: a fresh folder holding only the archive and the external dataset and GWAS
   files, `bundle:` in its config: ``unpack_bundle``, the checks, ``gwas_genes``,
   ``external_dataset``, ``external_verdict`` and the figure.

Job time is the sum of the jobs' wall seconds (Snakemake's ``benchmark:`` files), the simulation
aside. Target: the bundle path under 60 s of job time on 2 cores, reported with and without the
verdict (its held-out replication fits every layer and the naive baseline on each of
``verdict.splits`` halves per reference group). The modules of both paths are compared file for file
(``modules_identical``). Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd
import psutil
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from demo import ROOT, job_seconds, merge, run  # noqa: E402

TARGET_S = 60.0
EXTERNAL = "multiple_sclerosis"


def settings(quick: bool, train_steps: int) -> dict:
    """Changes to the demo config: one compendium, one model, training stopped after train_steps."""
    from deepmodules.simulate import SMALL_PARAMS

    model = "deep32" if quick else "deep512"
    size = SMALL_PARAMS if quick else {"n_genes": 19_000, "n_microarray_samples": 1200}
    return {
        "simulate": {
            "regime": "direct",
            "params": {
                "n_rnaseq_samples": 1000,
                **size,
                "external_cases": 40,
                "external_other_disease": 30,
                "external_controls": 30,
            },
        },
        "models": {
            "sweep": [model],
            "analysis": model,
            "shallow": None,
            "naive": False,
            "replicates": 1,
            "sweep_datasets": None,
        },
        "training": {"epochs": 1, "min_steps": train_steps, "patience_steps": train_steps},
        "ppi": {"n_null": 2, "n_permutations": 9},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="deep32 on 300 genes")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--train-steps", type=int, default=200, help="steps the run trains")
    parser.add_argument(
        "--converged-steps",
        type=int,
        default=6666,
        help="steps the run's projection assumes (the fewest of docs/benchmarks.md, Convergence)",
    )
    args = parser.parse_args()

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    merge(config, settings(args.quick, args.train_steps))
    del config["datasets"]["rnaseq"]
    config["external"] = {EXTERNAL: config["external"][EXTERNAL]}
    config["genesets"]["collections"] = {}
    model = config["models"]["analysis"]
    with tempfile.TemporaryDirectory() as tmp:
        inrun, against = Path(tmp) / "run", Path(tmp) / "bundle"
        inrun.mkdir()
        (inrun / "config.yaml").write_text(yaml.safe_dump(config))
        tables = [
            f"results/microarray/external/{EXTERNAL}/{t}.tsv"
            for t in ("gwas_enrichment", "verdict")
        ]
        inrun_wall, inrun_peak, _ = run(inrun, inrun / "config.yaml", tables, args.cores)
        inrun_jobs = job_seconds(inrun)
        summary = pd.read_csv(
            inrun / "results/microarray/models" / model / "training_summary.tsv", sep="\t"
        ).iloc[0]
        run(inrun, inrun / "config.yaml", ["bundle"], args.cores)

        archive = f"results/bundles/microarray/{model}.tar.gz"
        (against / "results/bundles/microarray").mkdir(parents=True)
        shutil.copyfile(inrun / archive, against / archive)
        (against / "resources").symlink_to(inrun / "resources")
        analysis = {
            "bundle": archive,
            "gwas": config["gwas"],
            "external": {EXTERNAL: {**config["external"][EXTERNAL]}},
            "seed": config["seed"],
            "reverse_training": config["reverse_training"],
            "modules": config["modules"],
        }
        del analysis["external"][EXTERNAL]["compendium"]
        (against / "config.yaml").write_text(yaml.safe_dump(analysis))
        bundle_wall, bundle_peak, _ = run(against, against / "config.yaml", [], args.cores)
        bundle_jobs = job_seconds(against)

        ours = against / "results/bundle/external" / EXTERNAL / "modules"
        theirs = inrun / "results/microarray/external" / EXTERNAL / "modules"
        files = sorted(p.relative_to(theirs) for p in theirs.rglob("*.tsv"))
        identical = bool(files) and all(
            (ours / f).exists() and (ours / f).read_bytes() == (theirs / f).read_bytes()
            for f in files
        )
        genes = sum(1 for _ in open(inrun / "results/microarray/normalized/genes.tsv")) - 1
        samples = len(pd.read_csv(inrun / config["external"][EXTERNAL]["samples"], sep="\t"))

    train_s = inrun_jobs[f"microarray/train/{model}"]
    per_step = train_s / int(summary["steps"])
    bundle_s = sum(bundle_jobs.values())
    inrun_s = sum(inrun_jobs.values())
    verdict_s = bundle_jobs[f"bundle/external/{EXTERNAL}_verdict"]
    projected = inrun_s + per_step * max(0, args.converged_steps - int(summary["steps"]))
    result = {
        "benchmark": "bundle",
        "mode": "quick" if args.quick else "full",
        "cores": args.cores,
        "model": model,
        "genes": genes,
        "external_samples": samples,
        "bundle_job_s": round(bundle_s, 1),
        "bundle_job_s_without_verdict": round(bundle_s - verdict_s, 1),
        "verdict_job_s": round(verdict_s, 1),
        "bundle_wall_s": round(bundle_wall, 1),
        "bundle_peak_rss_mib": round(bundle_peak / 2**20),
        "bundle_jobs": {name: round(s, 1) for name, s in sorted(bundle_jobs.items())},
        "inrun_job_s": round(inrun_s, 1),
        "inrun_wall_s": round(inrun_wall, 1),
        "inrun_peak_rss_mib": round(inrun_peak / 2**20),
        "inrun_train_steps": int(summary["steps"]),
        "inrun_train_s_per_step": round(per_step, 4),
        "inrun_job_s_projected": round(projected, 1),
        "converged_steps_assumed": args.converged_steps,
        "speedup_projected": round(projected / bundle_s, 1),
        "modules_identical": identical,
        "target_s": TARGET_S,
        "meets_target": bundle_s < TARGET_S,
        "meets_target_without_verdict": bundle_s - verdict_s < TARGET_S,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, "
        f"{round(psutil.virtual_memory().total / 2**30)} GiB",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
