"""A small compendium's whole DAG with the defaults, against the workflow as it was before its training
was made step-based (commit ``BASELINE``), in the same run.

    python benchmarks/small_compendium.py           # 252 samples × 4,147 genes, deep64 and shallow64
    python benchmarks/small_compendium.py --quick   # 120 × 300, 200 epochs, up to Fig. 2 (a minute)
    python benchmarks/small_compendium.py --real    # the real myoblast fixture, 271 cells

``--real`` runs the same comparison on real data of that size: the myoblast fixture's 271 single
cells (``.test/real``, built by ``.test/real/build.py``), its files, disease and GWAS settings with
the same two models and every other setting defaulted.

The shape of a real blood compendium a user brought (252 samples, 4,147 genes, two 64-node
autoencoders), simulated in E-MTAB-3732's format (direct regime, five planted diseases and a sham).
The user's configuration names only the files, the diseases and the models (``deep64`` analysed,
``shallow64`` the shallow comparison); everything else is each version's default. Three runs of
``snakemake --cores N`` in fresh folders, timed end to end:

- ``baseline``: the workflow at ``BASELINE`` (extracted with ``git archive``; its package first on
  ``PYTHONPATH``), whose training ran one optimizer step per epoch call with a test evaluation, a
  checkpoint check and a log line per epoch, up to a floor of 8,000 steps;
- ``project``: the workflow as it is, with its defaults (three replicates of each model, the naive
  baseline and the verdict);
- ``project_one_replicate``: the same with ``models.replicates: 1``, the baseline's training work.

Needs the repository's history (``git archive``). Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from demo import job_seconds, snakemake_command

from deepmodules.simulate import SMALL_PARAMS, simulate

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "dada181"  # the last commit before the step-based training loop
SEED = 1
PARAMS = {
    False: {
        "n_genes": 4147,
        "n_microarray_samples": 252,
        "n_rnaseq_samples": 252,
        "n_studies_per_disease": 1,
        "cases_per_study": 20,
        "controls_per_study": 10,
        "healthy_study_size": 36,
    },
    True: {
        **SMALL_PARAMS,
        "n_microarray_samples": 120,
        "n_rnaseq_samples": 120,
        "cases_per_study": 10,
        "controls_per_study": 5,
        "healthy_study_size": 15,
    },
}

# quick: 200 epochs in both versions, no early stopping and no step floor
QUICK_TRAINING = {"training": {"epochs": 200, "patience": 0, "min_steps": 0}}


def user_config(inputs: Path, quick: bool) -> dict:
    """The files, the planted diseases and two 64-node autoencoders; every other setting defaulted."""
    demo = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    return {
        "seed": SEED,
        "datasets": {
            "blood": {
                "format": "emtab",
                "matrix": str(inputs / "E-MTAB-3732/E-MTAB-3732.processed.1.zip"),
                "matrix_member": "processedMatrix.Aurora.july2015.txt",
                "annotation": str(inputs / "E-MTAB-3732/E-MTAB-3732.sdrf.txt"),
            }
        },
        "network": {
            "links": str(inputs / "string/9606.protein.links.v12.0.txt.gz"),
            "info": str(inputs / "string/9606.protein.info.v12.0.txt.gz"),
        },
        "gwas": {
            "source": "gwas_catalog",
            "gwas_catalog": str(inputs / "gwas/gwas_catalog_associations.tsv"),
            "refgene": str(inputs / "refgene/refGene.txt.gz"),
            "min_gwas_genes": 5 if quick else 10,
        },
        "diseases": demo["diseases"],
        "models": {
            "sweep": ["deep16" if quick else "deep64", "shallow16" if quick else "shallow64"],
            "analysis": "deep16" if quick else "deep64",
            "shallow": "shallow16" if quick else "shallow64",
        },
        **(QUICK_TRAINING if quick else {}),
    }


def real_config(name: str, quick: bool) -> dict:
    """A real fixture's files, diseases and GWAS settings (paths made absolute) with ``deep64``
    analysed and ``shallow64``; every other setting defaulted, the fixture's CI cuts left out
    (``quick``: 200 epochs, as for the simulated compendium)."""
    folder = ROOT / ".test" / "real" / name
    fixture = yaml.safe_load((folder / "config.yaml").read_text())

    def absolute(section: dict) -> dict:
        return {
            key: str((folder / value).resolve())
            if isinstance(value, str) and value.startswith("..")
            else absolute(value)
            if isinstance(value, dict)
            else value
            for key, value in section.items()
        }

    config = {key: absolute(fixture[key]) for key in ("datasets", "network", "gwas", "diseases")}
    models = {"sweep": ["deep64", "shallow64"], "analysis": "deep64", "shallow": "shallow64"}
    return {"seed": SEED, **config, "models": models, **(QUICK_TRAINING if quick else {})}


def run(snakefile: Path, workdir: Path, config: dict, cores: int, targets: list[str], env: dict):
    """Wall seconds of one Snakemake run in a fresh folder, its job count and its train jobs' time."""
    workdir.mkdir(parents=True)
    configfile = workdir / "user.yaml"
    configfile.write_text(yaml.safe_dump(config))
    command = [*snakemake_command(workdir, configfile, snakefile), "--cores", str(cores)]
    start = time.perf_counter()
    with open(workdir / "snakemake.log", "w") as log:
        status = subprocess.run(
            [*command, *targets], stdout=log, stderr=subprocess.STDOUT, env=env
        ).returncode
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{workdir}: the run failed\n{(workdir / 'snakemake.log').read_text()[-3000:]}")
    jobs = job_seconds(workdir, skip=())
    training = sum(s for name, s in jobs.items() if "/train/" in name)
    return {"wall_s": round(seconds, 1), "jobs": len(jobs), "train_job_s": round(training, 1)}


def shape(workdir: Path, config: dict) -> list[int]:
    """Samples × genes of the compendium a run normalized."""
    from deepmodules import layout

    (name,) = config["datasets"]
    files = layout.normalized_files(workdir / layout.normalized_dir(name))
    return list(np.load(files["expression"], mmap_mode="r").shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="120 x 300 compendium, 200 epochs, up to Fig. 2"
    )
    parser.add_argument(
        "--real", action="store_true", help="the real myoblast fixture (271 cells) instead"
    )
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.real:
            config = real_config("myoblast", args.quick)
        else:
            inputs = folder / "inputs"
            simulate(inputs, PARAMS[args.quick], SEED, "direct")
            config = user_config(inputs, args.quick)
        baseline = folder / "baseline"
        baseline.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        (dataset,) = config["datasets"]
        targets = [f"results/{dataset}/reconstruction.tsv"] if args.quick else []
        old_env = {**os.environ, "PYTHONPATH": str(baseline / "src")}
        results = {
            "baseline": run(
                baseline / "Snakefile",
                folder / "runs/baseline",
                config,
                args.cores,
                targets,
                old_env,
            )
        }
        results["project"] = run(
            ROOT / "Snakefile",
            folder / "runs/project",
            config,
            args.cores,
            targets,
            dict(os.environ),
        )
        one = {**config, "models": {**config["models"], "replicates": 1}}
        results["project_one_replicate"] = run(
            ROOT / "Snakefile", folder / "runs/one", one, args.cores, targets, dict(os.environ)
        )
        shutil.rmtree(folder / "baseline")
        data_shape = shape(folder / "runs/project", config)
    result = {
        "benchmark": "small_compendium",
        "quick": args.quick,
        "data": "myoblast (real)" if args.real else "simulated",
        "shape": data_shape,
        "baseline_commit": BASELINE,
        **results,
        "speedup": round(results["baseline"]["wall_s"] / results["project"]["wall_s"], 2),
        "speedup_one_replicate": round(
            results["baseline"]["wall_s"] / results["project_one_replicate"]["wall_s"], 2
        ),
        "target": "project under half of baseline (speedup > 2)",
        "cpu": platform.processor() or platform.machine(),
        "cores": args.cores,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
