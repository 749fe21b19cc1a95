"""A trained autoencoder handed on: one folder (and one archive of it) that holds everything another
study needs to use the model without the compendium or its training.

A bundle of model M trained on dataset D holds

- ``network.npz``: the trained layers (:mod:`deepmodules.model.network`), the weights every analysis reads;
- ``genes.tsv``: the genes in input order with the compendium's per-gene minimum and maximum (the
  min-max scale a new dataset is put on), and ``scale.json``: the value scale (``log`` for microarrays;
  for RNA-seq the upper-quartile reference, the log and the noise floor that raw counts are normalized
  with);
- ``node_activity.tsv``, ``rankings/<layer>.tsv.gz`` (each hidden node's top light-up genes) and the
  model's rows of the PPI colocalization, reconstruction, encodability and verdict tables: what its
  nodes encode, how well it reconstructs, and where its modules fall short;
- ``gene_ids.tsv``, where the compendium's row ids became gene symbols through a table
  (``datasets.*.gene_ids``): that table's id and symbol columns, so that a GEO series of the same
  kind of file is read against the bundle as the compendium was;
- ``training_summary.tsv``, ``provenance.json`` (the dataset and training settings, the seed, the
  SHA-256 of every input file, the package version and the bundle format version), a model card
  (``README.md``) written from all of the above, and ``MANIFEST.sha256``, the SHA-256 of every other
  file, which :func:`verify_bundle` checks.

The archive is a gzipped tar of the folder with its members sorted and their times and owners zeroed,
so the same bundle gives the same bytes.

An analysis against a bundle (config ``bundle:``) starts with :func:`unpack`: the archive or folder
verified against its manifest and format version, the reference its normalization needs checked, and
the files external datasets are analysed with (:data:`deepmodules.layout.BUNDLE_REFERENCE`) written;
:func:`analysed_with` then gives the rules the model and its compendium's settings.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

from deepmodules import __version__, layout
from deepmodules.data.download import sha256sum
from deepmodules.data.tables import read_table
from deepmodules.errors import InputError

FORMAT_VERSION = 2  # 2: gene_ids.tsv for a compendium read through a gene id table
MANIFEST = "MANIFEST.sha256"
# The file Snakemake adds to a folder that a rule declares as its output: not part of the bundle.
SNAKEMAKE_MARKER = ".snakemake_timestamp"
CARD = "README.md"
PROVENANCE = "provenance.json"
# The model's and compendium's files a bundle carries as they are.
CARRIED = ("network.npz", "genes.tsv", "scale.json", "node_activity.tsv", "training_summary.tsv")
# The id and symbol columns of the compendium's gene id table, where it had one.
GENE_IDS = "gene_ids.tsv"
# What scale.json must hold to put a new dataset on the compendium's scale, by its ``values``.
SCALE_KEYS = {"log": [], "counts": ["upper_quartile_reference", "noise_floor"]}


def _model_rows(path: Path, model: str) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", keep_default_na=False)
    return table[table["model"] == model] if "model" in table.columns else table


def provenance(
    dataset: str, spec: dict, training: dict, seed: int, sources: list[str], samples: str | Path
) -> dict:
    """Where a model came from: the dataset's settings and the training settings, the seed, the
    SHA-256 of each source file and the compendium's samples (all, and those trained on)."""
    split = pd.read_csv(samples, sep="\t", dtype=str, keep_default_na=False)["split"]
    return {
        "dataset": dataset,
        "settings": {"dataset": spec, "training": training},
        "seed": seed,
        "inputs": {str(path): sha256sum(path) for path in sources},
        "samples": len(split),
        "train_samples": int((split == "train").sum()),
    }


def write_bundle(
    folder: str | Path,
    model: str,
    files: dict[str, str | Path],
    rankings: dict[str, str | Path],
    tables: dict[str, str | Path],
    provenance: dict,
) -> None:
    """Write the bundle of ``model`` into ``folder`` (created; an old one is replaced).

    ``files`` are the model's and compendium's files by bundle name (``network.npz``, ``genes.tsv``,
    ``scale.json``, ``node_activity.tsv``, ``training_summary.tsv``), ``rankings`` the light-up
    rankings per layer, ``tables`` the dataset's result tables by kind (reconstruction, PPI
    colocalization, and encodability and verdict where diseases were analysed), ``provenance`` the dataset, settings and input checksums; the package and format
    versions are added."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "rankings").mkdir(parents=True)
    for name, path in files.items():
        shutil.copyfile(path, folder / name)
    for layer, path in rankings.items():
        shutil.copyfile(path, folder / "rankings" / f"{layer}.tsv.gz")
    for kind, path in tables.items():
        _model_rows(Path(path), model).to_csv(folder / f"{kind}.tsv", sep="\t", index=False)
    gene_ids = provenance["settings"]["dataset"].get("gene_ids")
    if gene_ids:
        columns = [gene_ids["from"], gene_ids["to"]]
        mapping = read_table(
            gene_ids["mapping"], columns, "gene id table", "correct gene_ids", skip_comments=True
        )
        mapping[columns].to_csv(folder / GENE_IDS, sep="\t", index=False)
    provenance = provenance | {
        "model": model,
        "package_version": __version__,
        "format_version": FORMAT_VERSION,
    }
    (folder / PROVENANCE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    (folder / CARD).write_text(model_card(folder, provenance))
    entries = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{sha256sum(p)}  {p.relative_to(folder).as_posix()}" for p in entries]
    (folder / MANIFEST).write_text("\n".join(lines) + "\n")


def verify_bundle(folder: str | Path) -> dict:
    """The provenance of a bundle whose files match its manifest, else a one-line refusal: a file
    missing, changed or not listed (Snakemake's marker of a folder output aside), or a format newer
    than this version reads."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise InputError(folder, f"has no {MANIFEST}", "pass a bundle folder written by `bundle`")
    listed = dict(reversed(line.split("  ", 1)) for line in manifest.read_text().splitlines())
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p != manifest and p.name != SNAKEMAKE_MARKER
    }
    for name in sorted(set(listed) | present):
        if name not in present or name not in listed or sha256sum(folder / name) != listed[name]:
            problem = (
                "is missing"
                if name not in present
                else "is not in the manifest"
                if name not in listed
                else "does not match its SHA-256 in the manifest"
            )
            raise InputError(
                folder / name, f"{problem}", "use the bundle as exported, or export it again"
            )
    provenance = json.loads((folder / PROVENANCE).read_text())
    if provenance["format_version"] > FORMAT_VERSION:
        raise InputError(
            folder / PROVENANCE,
            f"bundle format {provenance['format_version']} is newer than this version reads "
            f"({FORMAT_VERSION})",
            "update deepmodules to the version that wrote it or later",
        )
    return provenance


def write_archive(folder: str | Path, archive: str | Path) -> None:
    """A gzipped tar of ``folder`` (top directory: the folder's name) that the same files always
    give byte for byte: members sorted, times, owners and modes fixed."""
    folder = Path(folder)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [folder, *sorted(folder.rglob("*"))]:
            info = tar.gettarinfo(path, arcname=(folder.name / path.relative_to(folder)).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_file():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    with open(archive, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as out:
        out.write(buffer.getvalue())


def model_card(folder: Path, provenance: dict) -> str:
    """The bundle's README: data, sizes, training, reconstruction, intended use and known limits."""
    genes = pd.read_csv(folder / "genes.tsv", sep="\t", keep_default_na=False)
    summary = pd.read_csv(folder / "training_summary.tsv", sep="\t").iloc[0]
    scale = json.loads((folder / "scale.json").read_text())
    lines = [
        f"# {provenance['model']} trained on {provenance['dataset']}",
        "",
        "A sigmoid autoencoder of the deepmodules workflow (Dwivedi et al., Nature Communications "
        "2020), bundled with what a new dataset needs to be analysed with it.",
        "",
        "## Data",
        f"- Compendium `{provenance['dataset']}` ({provenance['settings']['dataset']['format']}), "
        f"{provenance['samples']} samples ({provenance['train_samples']} for training), "
        f"{len(genes)} genes in the input order of `genes.tsv`.",
        f"- Values: `{scale['values']}`; a new dataset is put on this scale and min-max scaled "
        "with each gene's minimum and maximum in `genes.tsv`.",
        "- Input files and their SHA-256: `provenance.json`.",
        "",
        "## Training",
        f"- {summary['epochs']} epochs, {summary['steps']} optimizer steps; weights of epoch "
        f"{summary['best_epoch']} (lowest test loss {summary['best_test_loss']:.4g}).",
        f"- Stopped: {summary['stopped']}"
        + ("" if summary["converged"] else " (**not converged**: a cap ended training)."),
        f"- Settings and seed {provenance['seed']}: `provenance.json`.",
        "",
        "## Reconstruction",
    ]
    reconstruction = folder / "reconstruction.tsv"
    if reconstruction.is_file():
        for row in pd.read_csv(reconstruction, sep="\t").itertuples():
            lines.append(
                f"- {row.split}: R² {row.r2_global:.3f} overall, gene-wise median {row.r2_gene_median:.3f}"
                + ("" if row.reconstruction_ok else f" (**below the gate**: {row.note})")
            )
    lines += [
        "",
        "## Intended use",
        "- Disease modules of a case-control dataset measured on the compendium's platform, by reverse "
        "training through this model's layers (`external:` datasets), with GWAS validation.",
        "- What each hidden node encodes: `rankings/<layer>.tsv.gz` and `ppi_colocalization.tsv`.",
        "",
        "## Known limits",
    ]
    limits = []
    verdict = folder / "verdict.tsv"
    if verdict.is_file():
        for row in pd.read_csv(verdict, sep="\t").drop_duplicates("disease").itertuples():
            limits.append(f"- {row.disease}: {row.verdict}")
    encodability = folder / "encodability.tsv"
    if encodability.is_file():
        table = pd.read_csv(encodability, sep="\t")
        poor = table[table["encodable"].astype(str) == "False"]
        limits += [
            f"- {row.disease} at {row.layer}: not encodable (r = {row.encodability_r:.2f}); its "
            "modules there rest on what the code cannot carry"
            for row in poor.itertuples()
        ]
    lines += limits or ["- None recorded by this run (no disease was analysed in the compendium)."]
    return "\n".join(lines) + "\n"


def check_reference(folder: Path) -> None:
    """Refuse, in one line, a bundle without what its normalization needs: the trained layers, the
    genes with each one's minimum and maximum, and a value scale whose reference is complete (the
    upper-quartile reference and noise floor that raw counts are normalized with)."""
    fix = "export the bundle again with `snakemake bundle`"
    for name in ("network.npz", "genes.tsv", "scale.json"):
        if not (folder / name).is_file():
            raise InputError(folder, f"has no {name}, which the analyses read", fix)
    columns = pd.read_csv(folder / "genes.tsv", sep="\t", nrows=0).columns
    if missing := [c for c in ("gene", "minimum", "maximum") if c not in columns]:
        raise InputError(
            folder / "genes.tsv",
            f"has no column(s) {', '.join(map(repr, missing))}: the per-gene range a new dataset "
            "is scaled with",
            fix,
        )
    scale = json.loads((folder / "scale.json").read_text())
    if scale.get("values") not in SCALE_KEYS:
        raise InputError(
            folder / "scale.json",
            f"values is {scale.get('values')!r}, not one of {sorted(SCALE_KEYS)}",
            fix,
        )
    if missing := [
        k for k in SCALE_KEYS[scale["values"]] if not isinstance(scale.get(k), float | int)
    ]:
        raise InputError(
            folder / "scale.json",
            f"a counts compendium's scale without {', '.join(missing)}: raw counts cannot be "
            "normalized as the compendium's were",
            fix,
        )


def unpack(source: str | Path, outputs: dict[str, str | Path]) -> list[dict]:
    """Verify the bundle at ``source`` (a folder, or a ``.tar.gz`` archive of one) and write its
    files by kind of :data:`deepmodules.layout.BUNDLE_REFERENCE` to ``outputs``; the checks made, as
    rows of an input check report (:func:`deepmodules.data.checks.write_report`).

    Refused in one line: an archive that is not one bundle folder, a manifest that does not match
    the files (:func:`verify_bundle`), a newer format version, a missing reference
    (:func:`check_reference`)."""
    source = Path(source)
    with tempfile.TemporaryDirectory() as scratch:
        if source.is_dir():
            folder = source
        else:
            try:
                with tarfile.open(source, "r:gz") as tar:
                    tar.extractall(scratch, filter="data")
            except (tarfile.TarError, OSError, EOFError) as error:
                raise InputError(
                    source,
                    f"is not a readable bundle archive ({error})",
                    "pass the .tar.gz written by `snakemake bundle`, or the bundle folder",
                ) from None
            tops = list(Path(scratch).iterdir())
            if len(tops) != 1 or not tops[0].is_dir():
                raise InputError(
                    source,
                    f"holds {len(tops)} top-level entries, not one bundle folder",
                    "pass the .tar.gz written by `snakemake bundle`",
                )
            folder = tops[0]
        provenance = verify_bundle(folder)
        check_reference(folder)
        gene_ids = provenance["settings"]["dataset"].get("gene_ids")
        if gene_ids and not (folder / GENE_IDS).is_file():
            raise InputError(
                folder,
                f"has no {GENE_IDS}, the gene id table its compendium was read with",
                "export the bundle again with `snakemake bundle`",
            )
        for kind, path in outputs.items():
            if kind == "gene_ids" and not gene_ids:  # no table: the ids were symbols
                Path(path).write_text("id\tsymbol\n")
            else:
                shutil.copyfile(folder / layout.BUNDLE_REFERENCE[kind], path)
        genes = pd.read_csv(folder / "genes.tsv", sep="\t", usecols=["gene"])
        scale = json.loads((folder / "scale.json").read_text())
    checks = {
        "manifest (SHA-256 of every file)": "matches",
        "format version": provenance["format_version"],
        "model": f"{provenance['model']} of {provenance['dataset']}",
        "genes": len(genes),
        "values": scale["values"],
    }
    return [
        {"input": "bundle", "path": str(source), "check": check, "result": str(result)}
        for check, result in checks.items()
    ]


def analysed_with(provenance: str | Path) -> tuple[str, dict]:
    """The model of a bundle and the settings of the compendium it was trained on, from its
    provenance as unpacked (:func:`unpack`): what an analysis against the bundle reads in place of
    ``models`` and ``datasets``. A gene id table is the bundle's copy, unpacked beside it."""
    record = json.loads(Path(provenance).read_text())
    spec = record["settings"]["dataset"]
    if spec.get("gene_ids"):
        copy = Path(provenance).parent / layout.BUNDLE_REFERENCE["gene_ids"]
        spec = spec | {"gene_ids": spec["gene_ids"] | {"mapping": str(copy)}}
    return record["model"], spec
