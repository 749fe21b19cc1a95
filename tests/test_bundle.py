"""Bundles of trained models: contents, model card, manifest check, reproducible archive, and the
unpacking (with its refusals) that an analysis against a bundle starts with."""

import gzip
import json
import tarfile

import numpy as np
import pandas as pd
import pytest

from deepmodules import bundle, layout
from deepmodules.data import compendium, identifiers
from deepmodules.data.download import sha256sum
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
    newer = f"bundle format {provenance_format(folder)} is newer than this version reads \\(0\\)"
    with pytest.raises(InputError, match=newer):
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


def provenance_format(folder):
    return json.loads((folder / bundle.PROVENANCE).read_text())["format_version"]


def _outputs(tmp_path):
    out = tmp_path / "reference"
    out.mkdir(exist_ok=True)
    return {kind: out / name for kind, name in layout.BUNDLE_REFERENCE.items()}


def test_an_archive_or_folder_unpacks_to_what_the_analyses_read(parts, tmp_path):
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    bundle.write_archive(folder, tmp_path / "deep8.tar.gz")
    for source in (folder, tmp_path / "deep8.tar.gz"):
        outputs = _outputs(tmp_path)
        rows = bundle.unpack(source, outputs)
        assert {row["check"]: row["result"] for row in rows}["genes"] == "5"
        assert np.load(outputs["network"])["w0"].shape == (5, 8)
        assert bundle.analysed_with(outputs["provenance"]) == ("deep8", {"format": "emtab"})
        assert outputs["gene_ids"].read_text() == "id\tsymbol\n"  # no table: a header only
        reference = compendium.load_reference(outputs["genes"], outputs["scale"])
        assert reference.genes == list("ABCDE") and reference.scale == {"values": "log"}


def _rewritten(folder, name, text):
    """The bundle with one file replaced and its manifest written again: consistent, but lacking."""
    (folder / name).write_text(text)
    entries = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != bundle.MANIFEST)
    lines = [f"{sha256sum(p)}  {p.relative_to(folder).as_posix()}" for p in entries]
    (folder / bundle.MANIFEST).write_text("\n".join(lines) + "\n")


def test_a_bundle_without_the_reference_its_normalization_needs_is_refused(parts, tmp_path):
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    _rewritten(folder, "genes.tsv", "gene\tmean\nA\t1\n")
    with pytest.raises(InputError, match=r"genes\.tsv: has no column\(s\) 'minimum', 'maximum'"):
        bundle.unpack(folder, _outputs(tmp_path))
    bundle.write_bundle(folder, "deep8", *parts)
    _rewritten(folder, "scale.json", json.dumps({"values": "counts", "noise_floor": 3.0}))
    with pytest.raises(InputError, match="scale without upper_quartile_reference"):
        bundle.unpack(folder, _outputs(tmp_path))
    bundle.write_bundle(folder, "deep8", *parts)
    _rewritten(
        folder,
        "scale.json",
        json.dumps({"values": "counts", "noise_floor": 3.0, "upper_quartile_reference": 4000.0}),
    )
    bundle.unpack(folder, _outputs(tmp_path))  # a complete counts reference


def test_an_archive_that_is_not_one_bundle_is_refused(parts, tmp_path):
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(InputError, match=r"junk\.tar\.gz: is not a readable bundle archive"):
        bundle.unpack(tmp_path / "junk.tar.gz", _outputs(tmp_path))
    for name in ("a", "b"):
        bundle.write_bundle(tmp_path / "two" / name, "deep8", *parts)
    with tarfile.open(tmp_path / "two.tar.gz", "w:gz") as tar:
        for name in ("a", "b"):
            tar.add(tmp_path / "two" / name, arcname=name)
    with pytest.raises(InputError, match="holds 2 top-level entries, not one bundle folder"):
        bundle.unpack(tmp_path / "two.tar.gz", _outputs(tmp_path))
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", *parts)
    (folder / "scale.json").write_text("{}")  # changed after export
    bundle.write_archive(folder, tmp_path / "changed.tar.gz")
    with pytest.raises(InputError, match=r"scale\.json: does not match its SHA-256"):
        bundle.unpack(tmp_path / "changed.tar.gz", _outputs(tmp_path))


def test_the_gene_id_table_travels_with_the_bundle(parts, tmp_path):
    """A compendium read through a gene id table: the bundle carries the table's two columns, and
    the unpacked provenance names that copy, which maps ids as the original table does."""
    files, rankings, tables, origin = parts
    table = tmp_path / "GPL570.tsv"
    table.write_text(
        "# a platform table with a comment line\nID\tGene Symbol\tSequence\n"
        "1007_s_at\tDDR1\tACGT\n1053_at\tRFC2\tTTGA\n117_at\tHSPA6 /// HSPA7\tGGCA\n"
    )
    ids = {"mapping": str(table), "from": "ID", "to": "Gene Symbol", "min_mapped": 0.5}
    origin = origin | {
        "settings": {**origin["settings"], "dataset": {"format": "emtab", "gene_ids": ids}}
    }
    folder = tmp_path / "deep8"
    bundle.write_bundle(folder, "deep8", files, rankings, tables, origin)
    carried = pd.read_csv(folder / bundle.GENE_IDS, sep="\t", dtype=str, comment="#")
    assert list(carried.columns) == ["ID", "Gene Symbol"] and len(carried) == 3
    outputs = _outputs(tmp_path)
    bundle.unpack(folder, outputs)
    _, spec = bundle.analysed_with(outputs["provenance"])
    assert spec["gene_ids"] == ids | {"mapping": str(outputs["gene_ids"])}
    probes = ["1053_at", "117_at", "1007_s_at", "99_at"]
    assert (
        identifiers.row_symbols(probes, spec["gene_ids"], "x")
        == identifiers.row_symbols(probes, ids, "x")
        == ["RFC2", None, "DDR1", None]
    )
    (folder / bundle.GENE_IDS).unlink()  # a bundle written before the table travelled with it
    _rewritten(folder, "README.md", (folder / "README.md").read_text())
    with pytest.raises(InputError, match=r"deep8: has no gene_ids\.tsv, the gene id table"):
        bundle.unpack(folder, _outputs(tmp_path))
