"""The SLURM profile on a real cluster: runs when `sinfo` shows an idle node, skipped otherwise.

A single-node cluster on this machine: `bash tests/slurm/start_cluster.sh` (as root, with Debian's
slurmctld, slurmd, slurm-client and munge), then `pytest tests/workflow/test_slurm.py`.

The test checks the profile, not the method: Fig. 2 of the smallest configuration (`.test/config.yaml`,
the microarray arm, one autoencoder), seven jobs in a chain of six, each submitted with sbatch and
polled with squeue. It took 160 s on a 2-core Xeon, most of it waiting between status checks
(docs/benchmarks.md); its limit, TIMEOUT_S, leaves room for a machine 3x slower and a busy cluster
twice over.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 900
CORES = "2"
FITTING_RULES = ("train", "reverse_training", "naive_baseline")


def idle_cluster() -> bool:
    if not shutil.which("sinfo"):
        return False
    result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return result.returncode == 0 and "idle" in result.stdout


pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(not idle_cluster(), reason="no SLURM cluster with an idle node"),
]


def profile_config() -> dict:
    """`.test/config.yaml` cut to what Fig. 2 of one dataset and one model needs."""
    config = yaml.safe_load((ROOT / ".test" / "config.yaml").read_text())
    del config["datasets"]["rnaseq"]
    config["external"] = {}
    config["simulate"]["params"].pop("archs4_series")
    config["models"].update(sweep=["deep16"], analysis="deep16", shallow=None)
    return config


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return "(none)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def newest(folder: Path, pattern: str) -> Path | None:
    files = sorted(folder.rglob(pattern), key=lambda path: path.stat().st_mtime)
    return files[-1] if files else None


def diagnosis(workdir: Path, outcome: str) -> str:
    """What a failed run leaves to tell a timeout from an error: the tails of Snakemake's own log
    and of the last SLURM job's log, and the queue."""
    queue = subprocess.run(["squeue"], capture_output=True, text=True).stdout
    return (
        f"{outcome}\n--- Snakemake log (tail) ---\n"
        f"{tail(newest(workdir / '.snakemake' / 'log', '*.log'))}\n"
        f"--- last SLURM job log (tail) ---\n"
        f"{tail(newest(workdir / '.snakemake' / 'slurm_logs', '*.log'))}\n--- squeue ---\n{queue}"
    )


def test_slurm_profile_runs_a_figure_target(tmp_path):
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile_config()))
    command = [
        str(Path(sys.executable).with_name("snakemake")),
        "fig2",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "profile.yaml"),
        "--profile",
        str(ROOT / "profiles" / "slurm"),
        # A cluster without accounting: poll with squeue, from 5 s after a submission on (the
        # plugin's default, 40 s, would dominate a run of seconds-long jobs); a small node: fewer
        # cores per job.
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "5",
        "--slurm-no-account",
        "--set-resources",
        *[f"{rule}:cpus_per_task={CORES}" for rule in FITTING_RULES],
        "--set-threads",
        *[f"{rule}={CORES}" for rule in FITTING_RULES],
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(diagnosis(tmp_path, f"timed out after {TIMEOUT_S} s"))
    assert result.returncode == 0, diagnosis(tmp_path, result.stderr[-3000:])
    assert "has been submitted with SLURM jobid" in result.stdout + result.stderr
    pdf = (tmp_path / "results" / "figures" / "fig2_reconstruction.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
