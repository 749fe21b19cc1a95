"""Wall time and peak memory of the embedded demo, end to end, against its 10-minute target.

    python benchmarks/demo.py            # the demo exactly as `snakemake --cores 2` runs it
    python benchmarks/demo.py --quick    # a reduced compendium, Fig. 3 only (under a minute)

Runs Snakemake in a fresh folder, samples the summed resident memory of the whole process tree every
0.2 s, and prints the figures as one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 600.0
QUICK = {
    "simulate": {
        # 10 gene programs leave none free for the mixed regime's program diseases
        "regime": "direct",
        "params": {
            "n_genes": 400,
            "n_communities": 10,
            "n_microarray_samples": 900,
            "n_rnaseq_samples": 600,
            "healthy_study_size": 30,
            "cases_per_study": 20,
            "controls_per_study": 10,
        },
    },
    "training": {"epochs": 5},
    "reverse_training": {"seeds": [1], "epochs": 10},
    "modules": {"size": 40},
    "gwas": {"min_gwas_genes": 5},
}


def merge(base: dict, changes: dict) -> dict:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def snakemake_command(
    workdir: Path, configfile: Path, snakefile: Path = ROOT / "Snakefile"
) -> list[str]:
    """This environment's Snakemake on ``snakefile`` (the project's), in ``workdir`` with
    ``configfile``."""
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    return [snakemake, "-s", str(snakefile), "--directory", str(workdir)] + [
        "--configfile",
        str(configfile),
    ]


def job_seconds(workdir: Path, skip: tuple[str, ...] = ("simulate",)) -> dict[str, float]:
    """Wall seconds of every job of a finished run, by its benchmark file's path under
    benchmarks/out (``microarray/train/deep512``), the simulation aside."""
    seconds: dict[str, float] = {}
    for path in (workdir / "benchmarks" / "out").rglob("*.tsv"):
        name = path.relative_to(workdir / "benchmarks" / "out").as_posix().removesuffix(".tsv")
        if any(name.startswith(s) for s in skip):
            continue
        seconds[name] = float(pd.read_csv(path, sep="\t")["s"].iloc[0])
    return seconds


def run(
    workdir: Path, configfile: Path, targets: list[str], cores: int, keep_going: bool = False
) -> tuple[float, int, int]:
    """Wall time, peak summed RSS and exit status of a Snakemake run; its output goes to
    workdir/snakemake.log. A failed run ends the benchmark unless ``keep_going`` (then Snakemake runs
    every job it can and the status says whether all succeeded)."""
    command = [*snakemake_command(workdir, configfile), "--cores", str(cores)]
    if keep_going:
        command += ["--keep-going", "--rerun-incomplete"]
    log = workdir / "snakemake.log"
    start = time.perf_counter()
    with open(log, "w") as output:
        process = subprocess.Popen([*command, *targets], stdout=output, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(watched))
            time.sleep(0.2)
    elapsed = time.perf_counter() - start
    if process.returncode != 0 and not keep_going:
        sys.exit(f"the Snakemake run failed:\n{log.read_text()[-3000:]}")
    return elapsed, peak, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced compendium, Fig. 3 only")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()

    with open(ROOT / "config" / "config.yaml") as handle:
        config = yaml.safe_load(handle)
    targets: list[str] = []
    if args.quick:
        merge(config, QUICK)
        del config["datasets"]["rnaseq"]
        targets = ["fig3"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        configfile = workdir / "benchmark.yaml"
        configfile.write_text(yaml.safe_dump(config))
        elapsed, peak, _ = run(workdir, configfile, targets, args.cores)
        jobs = len(list((workdir / "benchmarks" / "out").rglob("*.tsv")))
    result = {
        "benchmark": "demo",
        "mode": "quick" if args.quick else "full",
        "cores": args.cores,
        "jobs": jobs,
        "wall_s": round(elapsed, 1),
        "peak_rss_mib": round(peak / 2**20),
        "target_s": TARGET_S,
        "fraction_of_target": round(elapsed / TARGET_S, 3),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, "
        f"{round(psutil.virtual_memory().total / 2**30)} GiB",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
