"""Bundles of trained models: contents, model card, manifest check, reproducible archive."""

import gzip
import json
import tarfile

import numpy as np
import pandas as pd
import pytest

from deepmodules import bundle
from deepmodules.errors import InputError


@pytest.fixture
def parts(tmp_path):
    """The files a bundle of deep8 is made from; its tables also hold rows of another model."""
    src = tmp_path / "src"
    src.mkdir()
    np.savez(src / "network.npz", w0=np.ones((5, 8)), b0=np.zeros(8))
    pd.DataFrame({"gene": list("ABCDE"), "minimum": 0.0, "maximum": 9.0}).to_csv(
        src / "genes.tsv", sep="\t", index=False
    )
    (src / "scale.json").write_text(json.dumps({"values": "log"}))
    summary = {
        "model": "deep8",
        "epochs": 171,
        "epoch_cap": 171,
        "steps": 8037,
        "best_epoch": 170,
        "best_test_loss": 0.0123,
        "stopped": "step floor: 171 epochs = 8037 optimizer steps",
        "converged": False,
    }
    pd.DataFrame([summary]).to_csv(src / "training_summary.tsv", sep="\t", index=False)
    (src / "node_activity.tsv").write_text("layer\tnode\tmean\tsd\nh1\th1_1\t0.5\t0.1\n")
    with gzip.open(src / "h1.rankings.tsv.gz", "wt") as handle:
        handle.write("node\trank\tgene\nh1_1\t1\tA\n")
    reconstruction = pd.DataFrame(
        {
            "model": ["deep8", "deep8", "shallow8"],
            "split": ["train", "test", "test"],
            "r2_global": [0.61, 0.55, 0.4],
            "r2_gene_median": [0.5, 0.45, 0.3],
            "reconstruction_ok": [True, True, True],
            "note": ["", "", ""],
        }
    )
    reconstruction.to_csv(src / "reconstruction.tsv", sep="\t", index=False)
    verdict = pd.DataFrame(
        {"disease": ["asthma"], "model": ["deep8"], "layer": ["h1"], "verdict": ["use naive8 h1"]}
    )
    verdict.to_csv(src / "verdict.tsv", sep="\t", index=False)
    files = {name: src / name for name in bundle.CARRIED}
    tables = {kind: src / f"{kind}.tsv" for kind in ("reconstruction", "verdict")}
    origin = {
        "dataset": "microarray",
        "settings": {"dataset": {"format": "emtab"}, "training": {"epochs": 60}},
        "seed": 1,
        "inputs": {"m.zip": "0" * 64},
        "samples": 100,
        "train_samples": 80,
    }
    return files, {"h1": src / "h1.rankings.tsv.gz"}, tables, origin


def test_a_bundle_holds_the_model_its_scale_and_its_limits(parts, tmp_path):
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    provenance = bundle.verify_bundle(folder)
    assert provenance["format_version"] == bundle.FORMAT_VERSION and provenance["seed"] == 1
    weights = np.load(folder / "network.npz")
    assert weights["w0"].shape == (5, 8)
    assert pd.read_csv(folder / "reconstruction.tsv", sep="\t")["model"].unique().tolist() == [
        "deep8"
    ]
    card = (folder / "README.md").read_text()
    assert "100 samples (80 for training), 5 genes" in card
    assert "test: R² 0.550" in card and "**not converged**" in card
    assert "- asthma: use naive8 h1" in card


def test_a_changed_missing_or_extra_file_is_refused(parts, tmp_path):
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    (folder / "genes.tsv").write_text("gene\tminimum\tmaximum\nA\t0\t1\n")
    with pytest.raises(InputError, match=r"genes\.tsv: does not match its SHA-256"):
        bundle.verify_bundle(folder)
    bundle.write_bundle(folder, "deep8", *parts)
    (folder / "rankings" / "h1.tsv.gz").unlink()
    with pytest.raises(InputError, match=r"h1\.tsv\.gz: is missing"):
        bundle.verify_bundle(folder)
    bundle.write_bundle(folder, "deep8", *parts)
    (folder / bundle.SNAKEMAKE_MARKER).write_text("")  # what Snakemake adds to a folder output
    bundle.verify_bundle(folder)
    (folder / "notes.txt").write_text("added")
    with pytest.raises(InputError, match=r"notes\.txt: is not in the manifest"):
        bundle.verify_bundle(folder)


def test_a_bundle_of_a_newer_format_is_refused(parts, tmp_path, monkeypatch):
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    monkeypatch.setattr(bundle, "FORMAT_VERSION", 0)
    with pytest.raises(InputError, match="bundle format 1 is newer than this version reads"):
        bundle.verify_bundle(folder)


def test_the_archive_is_the_same_bytes_each_time_and_unpacks_to_the_bundle(parts, tmp_path):
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    bundle.write_archive(folder, tmp_path / "a.tar.gz")
    bundle.write_bundle(folder, "deep8", *parts)  # the same bundle, written again later
    bundle.write_archive(folder, tmp_path / "b.tar.gz")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        tar.extractall(tmp_path / "out", filter="data")
    assert bundle.verify_bundle(tmp_path / "out" / "deep8")["model"] == "deep8"
