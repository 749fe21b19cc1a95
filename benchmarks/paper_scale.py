"""The paper's DAG at the paper's sizes: wall time and peak memory of every job, and the time to the paper.

    python benchmarks/paper_scale.py            # the paper's sizes (hours on 2 cores, ~25 GB of disk)
    python benchmarks/paper_scale.py --quick    # a small compendium, up to reconstruction (about a minute)

Inputs: the simulator writes the sources in their own formats at the paper's sizes
(:data:`deepmodules.simulate.PAPER_PARAMS`): E-MTAB-3732's processed matrix (27,887 samples × 20,000
genes) and sample sheet, an ARCHS4 file of 59,532 bulk samples, 500 single-cell samples and three
disease series, from which the rnaseq arm streams the paper's 59,532 × 18,999 selection, STRING of
20,000 genes, the GWAS Catalog table and refGene. They are written once into ``--inputs`` and reused.

The run: ``config/paper.yaml`` with its sources replaced by these files, the simulated diseases (five
and a sham) in place of the paper's seven, four ARCHS4 series analysed as its four RNA-seq series, no
gene-set collections (the simulated genes have none: 3 of the paper's 93 jobs), and every autoencoder
trained for ``--epochs`` epochs instead of the paper's 100. ``snakemake --cores N --keep-going`` runs
the whole DAG; each job's wall time and peak memory (``max_rss``) come from its ``benchmark:`` file,
its rule from the dry run beforehand.

Projection. A train job's time grows with its epochs at the rate its log's progress lines show (first
to last line, so compilation is left out); at the paper's 100 epochs it takes its measured time plus
that rate × (100 − epochs). With the schema's default stopping the paper-sized models would run until
patience or the step floor (``training.min_steps``) ends them; the bound at the floor is reported too. The time to the
paper on this machine is the sum of the jobs' times, each weighted by its share of the cores (train
jobs of wide models use every core, so they run alone): the wall time of a run that keeps every core
busy; ``wall_s`` is the measured wall time of this run (of all its parts, with ``--resume``). The
verdict's held-out replication (``replication`` and ``external_verdict``) runs ``SPLITS`` half splits
instead of the default 10 and is scaled by 10 / ``SPLITS`` (its load time too: an upper bound). The
naive baseline is fitted as ``config/paper.yaml`` says (``reverse_training.naive_fit``).
``--resume`` keeps the jobs a stopped run finished (their benchmark files stay valid) and runs the
rest. The 16-core workstation divides every job's time by 16 / cores (linear scaling, a lower bound).
One GPU: training at ``GPU_TFLOPS`` sustained (6 × parameters FLOP per sample and epoch), every other
job on the 16-core workstation. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml
from demo import QUICK, merge, run, snakemake_command

from deepmodules.config import section_defaults
from deepmodules.model.architecture import parse_model_id
from deepmodules.simulate import PAPER_PARAMS, simulate
from deepmodules.simulate.series import series_id

ROOT = Path(__file__).resolve().parents[1]
PAPER_EPOCHS = 100  # config/paper.yaml: the paper's recipe
PAPER_SPLITS = 10  # verdict.splits: the schema's default (config/paper.yaml keeps it)
SPLITS = 2  # half splits run here (the fewest the verdict's interval takes)
SCALED_BY_SPLITS = ("replication", "external_verdict")
FLOOR_STEPS = section_defaults(ROOT / "config" / "schema.yaml", "training")["min_steps"]
WORKSTATION_CORES = 16
GPU_TFLOPS = 100.0  # sustained bfloat16 TFLOP/s assumed for one GPU: ~10 % of an H100's dense peak
SEED = 1
SERIES = [["asthma"], ["crohns_disease", "ulcerative_colitis"], ["obesity"]]
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
PROGRESS = re.compile(r"epoch (\d+) of at most")


def simulated_inputs(folder: Path, quick: bool) -> float:
    """Write the simulated sources into ``folder`` unless a finished set is there; seconds taken."""
    done = folder / "simulated.json"
    params = {**(QUICK["simulate"]["params"] if quick else PAPER_PARAMS), "archs4_series": SERIES}
    regime = QUICK["simulate"]["regime"] if quick else "mixed"
    key = json.loads(json.dumps({"params": params, "regime": regime, "seed": SEED}))
    if done.exists() and json.loads(done.read_text())["key"] == key:
        return json.loads(done.read_text())["seconds"]
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    simulate(folder, params, SEED, regime)
    seconds = time.perf_counter() - start
    done.write_text(json.dumps({"key": key, "seconds": round(seconds, 1)}))
    return seconds


def run_config(inputs: Path, epochs: int, quick: bool) -> dict:
    """config/paper.yaml on the simulated files; the demo config's diseases and columns."""
    paper = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    demo = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config = merge(paper, {"downloads": {}})
    config["genesets"]["collections"] = {}
    config["datasets"]["microarray"].update(
        matrix=str(inputs / "E-MTAB-3732/E-MTAB-3732.processed.1.zip"),
        annotation=str(inputs / "E-MTAB-3732/E-MTAB-3732.sdrf.txt"),
    )
    config["datasets"]["rnaseq"].update(
        matrix=str(inputs / "archs4/human_gene_v2.latest.h5"),
        columns=demo["datasets"]["rnaseq"]["columns"],
    )
    config["network"].update(
        links=str(inputs / "string/9606.protein.links.v12.0.txt.gz"),
        info=str(inputs / "string/9606.protein.info.v12.0.txt.gz"),
    )
    config["gwas"].update(
        gwas_catalog=str(inputs / "gwas/gwas_catalog_associations.tsv"),
        refgene=str(inputs / "refgene/refGene.txt.gz"),
    )
    config["diseases"] = {
        name: {**disease, "datasets": ["microarray"]} for name, disease in demo["diseases"].items()
    }
    config["external"] = {}
    for number, diseases in enumerate(SERIES):
        for disease in diseases:
            label = demo["diseases"][disease]["label"]
            config["external"][f"{disease}_series"] = {
                "source": "archs4",
                "series": series_id(number),
                "group_by": {
                    "characteristic": "disease state",
                    "values": {label: label, "healthy control": "control"},
                },
                "compendium": "rnaseq",
                "case": label,
                "references": ["control"],
                "gwas_terms": demo["diseases"][disease]["gwas_terms"],
                "disgenet_terms": demo["diseases"][disease]["disgenet_terms"],
            }
    config["training"]["epochs"] = epochs
    config["verdict"] = {"splits": SPLITS}
    if quick:
        for name in ("test_size", "n_samples", "max_genes"):
            config["datasets"]["microarray"].pop(name, None)
            config["datasets"]["rnaseq"].pop(name, None)
        config["gwas"]["min_gwas_genes"] = 5
        config["modules"]["size"] = 40
        config["models"].update(
            sweep=["deep16", "shallow16"], analysis="deep16", shallow="shallow16"
        )
        del config["datasets"]["rnaseq"]
        config["external"] = {}
    return config


def planned_jobs(workdir: Path, configfile: Path, targets: list[str]) -> list[dict]:
    """Rule, wildcards, log and benchmark file of every job the dry run plans."""
    command = [*snakemake_command(workdir, configfile), "--dry-run", "--forceall", *targets]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    jobs = []
    for block in re.split(r"\n\s*\n", output):
        rule = re.search(r"^(?:local)?rule (\w+):", block, flags=re.M)
        if not rule:
            continue
        fields = dict(re.findall(r"^\s+(\w+): (.*)$", block, flags=re.M))
        jobs.append({"rule": rule.group(1), **fields})
    return jobs


def paper_job_counts() -> dict[str, int]:
    """Jobs per rule of ``config/paper.yaml`` on the real sources (dry run in an empty folder)."""
    folder = ROOT / "benchmarks" / "out" / "paper_scale" / "paper_dry_run"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = planned_jobs(folder, ROOT / "config" / "paper.yaml", [])
    counts: dict[str, int] = defaultdict(int)
    for job in jobs:
        counts[job["rule"]] += 1
    return dict(counts)


def epoch_seconds(log: Path, epochs: int) -> float:
    """Seconds per epoch from a train log: first to last progress line, else start to stop."""
    points, start, stop = [], None, None
    for line in log.read_text().splitlines():
        stamp = LOG_TIME.match(line)
        if not stamp:
            continue
        moment = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if " on " in line and "fit: training " in line:
            start = moment
        elif progress := PROGRESS.search(line):
            points.append((moment, int(progress.group(1))))
        elif "stopped: " in line:
            stop = moment
    if len(points) >= 2 and points[-1][1] > points[0][1]:
        return (points[-1][0] - points[0][0]) / (points[-1][1] - points[0][1])
    return (stop - start) / epochs


def parameters(model_id: str, genes: int) -> int:
    """Weights and biases of an autoencoder genes → widths → genes."""
    sizes = [genes, *parse_model_id(model_id).widths, genes]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def compendium_shape(workdir: Path, dataset: str) -> tuple[int, int]:
    """Training samples and genes of a normalized compendium (its genes and split tables)."""
    folder = workdir / "results" / dataset / "normalized"
    genes = len(pd.read_csv(folder / "genes.tsv", sep="\t"))
    samples = pd.read_csv(folder / "samples.tsv", sep="\t")
    return int((samples["split"] == "train").sum()), genes


def measured_jobs(workdir: Path, jobs: list[dict], epochs: int, cores: int) -> pd.DataFrame:
    """One row per planned job: seconds, peak memory and, for train jobs, the projection to 100 epochs."""
    rows = []
    for job in jobs:
        if "benchmark" not in job:
            continue
        path = workdir / job["benchmark"]
        threads = int(job.get("threads", 1))
        row = {
            "rule": job["rule"],
            "wildcards": job.get("wildcards", ""),
            "done": path.exists(),
            "core_share": min(threads, cores) / cores,
        }
        if path.exists():
            table = pd.read_csv(path, sep="\t")
            row.update(
                seconds=float(table["s"].iloc[-1]), max_rss_mb=float(table["max_rss"].iloc[-1])
            )
            if job["rule"] in SCALED_BY_SPLITS:
                row["seconds"] *= PAPER_SPLITS / SPLITS
        if job["rule"] == "train" and path.exists():
            wildcards = dict(w.split("=") for w in row["wildcards"].split(", "))
            train_samples, genes = compendium_shape(workdir, wildcards["dataset"])
            per_epoch = epoch_seconds(workdir / job["log"], epochs)
            steps_per_epoch = math.ceil(train_samples / 256)
            params = parameters(wildcards["model"], genes)
            row.update(
                model=wildcards["model"],
                dataset=wildcards["dataset"],
                epoch_s=per_epoch,
                paper_s=row["seconds"] + per_epoch * (PAPER_EPOCHS - epochs),
                floor_s=row["seconds"]
                + per_epoch * (math.ceil(FLOOR_STEPS / steps_per_epoch) - epochs),
                gpu_s=6 * params * train_samples * PAPER_EPOCHS / (GPU_TFLOPS * 1e12),
                parameters=params,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, cores: int) -> dict:
    """The time to the paper here and projected, and each rule's share of the job time.

    The time here is the job time weighted by each job's share of the cores: the wall time of a run
    whose jobs keep every core busy.
    """
    done = table[table["done"]]
    train = done["rule"] == "train"
    job_s = done["seconds"].where(~train, done.get("paper_s"))
    per_rule = job_s.groupby(done["rule"]).sum().sort_values(ascending=False)
    total = float(per_rule.sum())
    other_s = float(job_s[~train].sum())
    workstation = total * cores / WORKSTATION_CORES
    gpu = float(done.loc[train, "gpu_s"].sum()) + other_s * cores / WORKSTATION_CORES
    return {
        "time_to_paper_s": round(float((job_s * done["core_share"]).sum()), 1),
        "job_time_s": round(total, 1),
        "training_share": round(float(job_s[train].sum()) / total, 3),
        "with_default_stopping_at_most_s": round(
            other_s + float(done.loc[train, "floor_s"].sum()), 1
        ),
        "workstation_16_cores_s": round(workstation, 1),
        "one_gpu_s": round(gpu, 1),
        "rules": {
            rule: {
                "jobs": int((done["rule"] == rule).sum()),
                "seconds": round(float(seconds), 1),
                "share": round(float(seconds) / total, 3),
                "max_rss_mb": round(float(done.loc[done["rule"] == rule, "max_rss_mb"].max())),
            }
            for rule, seconds in per_rule.items()
        },
        "non_training_over_10_percent": [
            rule for rule, s in per_rule.items() if rule != "train" and s / total > 0.1
        ],
        "train": {
            f"{row.dataset}/{row.model}": {
                "measured_s": round(row.seconds, 1),
                "epoch_s": round(row.epoch_s, 2),
                "paper_s": round(row.paper_s, 1),
                "max_rss_mb": round(row.max_rss_mb),
            }
            for row in done[train].itertuples()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small compendium, up to reconstruction"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per model (default 3; 2 quick)"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--inputs",
        type=Path,
        default=ROOT / "benchmarks" / "out" / "paper_scale" / "inputs",
        help="folder of the simulated sources (written once, then reused)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=ROOT / "benchmarks" / "out" / "paper_scale" / "run",
        help="the run's folder (emptied first unless --resume)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the jobs a stopped run finished; run the rest"
    )
    args = parser.parse_args()
    epochs = args.epochs or (2 if args.quick else 3)
    inputs = args.inputs.with_name(args.inputs.name + "_quick") if args.quick else args.inputs
    workdir = args.workdir.with_name(args.workdir.name + "_quick") if args.quick else args.workdir

    simulate_s = simulated_inputs(inputs, args.quick)
    if not args.resume:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    config = run_config(inputs.resolve(), epochs, args.quick)
    configfile = workdir / "paper_scale.yaml"
    configfile.write_text(yaml.safe_dump(config))
    targets = ["results/microarray/reconstruction.tsv"] if args.quick else []
    jobs = planned_jobs(workdir, configfile, targets)
    wall_s, peak, status = run(workdir, configfile, targets, args.cores, keep_going=True)
    parts = workdir / "wall.json"
    earlier = json.loads(parts.read_text()) if args.resume and parts.exists() else []
    parts.write_text(json.dumps([*earlier, round(wall_s, 1)]))
    wall_s += sum(earlier)
    table = measured_jobs(workdir, jobs, epochs, args.cores)
    table.to_csv(workdir / "jobs.tsv", sep="\t", index=False)
    result = {
        "benchmark": "paper_scale",
        "quick": args.quick,
        "epochs_measured": epochs,
        "paper_epochs": PAPER_EPOCHS,
        "jobs_planned": len(jobs),
        "jobs_done": int(table["done"].sum()),
        "snakemake_status": status,
        "paper_jobs": paper_job_counts(),
        "simulate_s": round(simulate_s, 1),
        "wall_s": round(wall_s, 1),
        "peak_rss_mib": round(peak / 2**20),
        **summary(table, args.cores),
        "gpu_tflops_assumed": GPU_TFLOPS,
        "cpu": platform.processor() or platform.machine(),
        "cores": args.cores,
        "machine_cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
