"""The SLURM profile on a real cluster: runs when `sinfo` shows an idle node, skipped otherwise.

A single-node cluster on this machine: `bash tests/slurm/start_cluster.sh` (as root, with Debian's
slurmctld, slurmd, slurm-client and munge), then `pytest tests/test_slurm.py`.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from demo import QUICK, merge  # noqa: E402


def idle_cluster() -> bool:
    if not shutil.which("sinfo"):
        return False
    result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return result.returncode == 0 and "idle" in result.stdout


pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(not idle_cluster(), reason="no SLURM cluster with an idle node"),
]


def test_slurm_profile_runs_a_figure_target(tmp_path):
    with open(ROOT / "config" / "config.yaml") as handle:
        config = merge(yaml.safe_load(handle), QUICK)
    del config["datasets"]["rnaseq"]
    config["external"] = {}
    (tmp_path / "quick.yaml").write_text(yaml.safe_dump(config))
    cores = "2"
    command = [
        str(Path(sys.executable).with_name("snakemake")),
        "fig3",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "quick.yaml"),
        "--profile",
        str(ROOT / "profiles" / "slurm"),
        # A cluster without accounting: poll with squeue; a small node: fewer cores per job.
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "20",
        "--slurm-no-account",
        "--set-resources",
        *[
            f"{rule}:cpus_per_task={cores}"
            for rule in ("train", "reverse_training", "naive_baseline")
        ],
        "--set-threads",
        *[f"{rule}={cores}" for rule in ("train", "reverse_training", "naive_baseline")],
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "has been submitted with SLURM jobid" in result.stdout + result.stderr
    pdf = (tmp_path / "results" / "figures" / "fig3_gwas_enrichment.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
