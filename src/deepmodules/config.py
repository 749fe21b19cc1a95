"""Checks of a workflow configuration that run before any job: schema, then cross-key consistency."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from deepmodules.errors import InputError
from deepmodules.layout import BUNDLED
from deepmodules.model.architecture import parse_model_id

# Where the download rule writes a `downloads` entry (workflow/rules/download.smk).
DOWNLOADS = "resources/downloads"


def section_defaults(schema: str | Path, section: str) -> dict:
    """The schema's default of every key of one top-level section (e.g. ``training``), key → value
    (None where a key has no default)."""
    keys = yaml.safe_load(Path(schema).read_text())["properties"][section]["properties"]
    return {key: value.get("default") for key, value in keys.items()}


def validate_config(config: dict, schema: str | Path, where: str = "config") -> None:
    """Validate ``config`` against the JSON schema (filling in defaults), with a one-line error."""
    try:
        validate(config, str(schema), set_default=True)
    except WorkflowError:
        with open(schema) as handle:
            schema_doc = yaml.safe_load(handle)
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schema_doc).iter_errors(config)
        )
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(
            f"{where}: {key}", error.message, f"see the description of this key in {schema}"
        ) from None


def diseases_of(config: dict, dataset: str) -> dict[str, dict]:
    """The configured diseases analysed in ``dataset``: those whose ``datasets`` name it or are null."""
    return {
        disease_id: spec
        for disease_id, spec in config["diseases"].items()
        if spec.get("datasets") is None or dataset in spec["datasets"]
    }


def compendium_spec(config: dict, dataset: str) -> dict:
    """A dataset's config as its compendium is built from it: the GEO series of the ``source: archs4``
    external datasets read from the dataset's own file join its ``exclude_series``, so that no sample is
    both in the compendium the autoencoder learns and in a series projected through it."""
    spec = config["datasets"][dataset]
    series = {
        external["series"]
        for external in config.get("external", {}).values()
        if external["source"] == "archs4" and external.get("matrix") == spec["matrix"]
    }
    if not series:
        return spec
    return {**spec, "exclude_series": sorted(set(spec.get("exclude_series", [])) | series)}


def series_matrices(config: dict) -> None:
    """Give each external dataset of ``source: archs4`` without a ``matrix`` its compendium's file."""
    for spec in config.get("external", {}).values():
        if spec["source"] == "archs4" and spec.get("compendium") in config["datasets"]:
            spec.setdefault("matrix", config["datasets"][spec["compendium"]]["matrix"])


def bundle_analysis(config: dict, where: str = "config") -> None:
    """Checks of an analysis against a trained-model bundle (``bundle``), which has no compendium:
    no ``datasets`` or ``diseases`` (they are trained and analysed in the run that made the bundle),
    each external dataset analysed with the bundle (``compendium`` left out or ``bundle``, filled in)
    and a series given its ARCHS4 file, and a downloaded bundle pinned by its SHA-256. ``datasets``
    and ``diseases`` are set empty in ``config``."""
    if config["simulate"]["enabled"]:
        raise InputError(
            f"{where}: simulate.enabled",
            "is true beside bundle, but an analysis against a bundle has no compendium to simulate",
            "set simulate.enabled: false (run the demo without bundle to make its bundles)",
        )
    for key in ("datasets", "diseases"):
        if config.get(key):
            raise InputError(
                f"{where}: {key}",
                "is given beside bundle, but an analysis against a bundle trains nothing",
                f"remove {key} to analyse the external datasets with the bundle, or remove bundle "
                "to train on the compendia",
            )
        config[key] = {}
    for name, spec in config.get("external", {}).items():
        if spec.setdefault("compendium", BUNDLED) != BUNDLED:
            raise InputError(
                f"{where}: external.{name}.compendium",
                f"names dataset {spec['compendium']!r}, but this analysis runs against the bundle",
                f"leave external.{name}.compendium out (or set it to {BUNDLED!r})",
            )
        if spec["source"] == "archs4" and "matrix" not in spec:
            raise InputError(
                f"{where}: external.{name}.matrix",
                "is missing: against a bundle, a series has no compendium file to be read from",
                f"set external.{name}.matrix to the ARCHS4 file that holds series {spec['series']}",
            )
    name = Path(config["bundle"]).name
    if config["bundle"] == f"{DOWNLOADS}/{name}" and not config["downloads"].get(name, {}).get(
        "sha256"
    ):
        raise InputError(
            f"{where}: downloads.{name}.sha256",
            "is not set, but a downloaded bundle must be pinned",
            "set it to the SHA-256 of the archive its author published",
        )


def check_config(config: dict, produced: set[str], where: str = "config") -> None:
    """Cross-key checks: model ids (:data:`~deepmodules.model.architecture.MODEL_PATTERN`), the analysed
    models deep or shallow as named and among those trained, gene-set sizes in order, the datasets a
    disease is analysed in configured, a disease label not a control label, ``max_genes`` not below
    ``network.min_shared_genes``, an external case not among its references, a naive baseline fitted
    by its means not scored by ``paper``, input files present.

    External datasets of ``source: archs4`` get their matrix first (:func:`series_matrices`, in
    ``config``). ``produced`` are the paths that a rule of the workflow makes (simulated or downloaded
    sources); any other input path must exist already.
    """
    if config.get("bundle"):
        bundle_analysis(config, where)
    else:
        for key in ("datasets", "network", "diseases"):
            if key not in config:
                raise InputError(
                    f"{where}: {key}",
                    "is missing",
                    "give the compendia to train on (datasets, network, diseases), or a trained "
                    "model to analyse external datasets with (bundle)",
                )
    series_matrices(config)
    models = config["models"]
    architectures = {}
    for model_id in models["sweep"]:
        spec = parse_model_id(model_id)
        if spec.replicate != 1:
            raise InputError(
                f"{where}: models.sweep",
                f"{model_id!r} names a replicate",
                "list architectures only (deep512); models.replicates sets how many are trained",
            )
        same = architectures.setdefault((spec.depth, spec.width, spec.variant), model_id)
        if same != model_id:
            raise InputError(
                f"{where}: models.sweep",
                f"{model_id!r} and {same!r} are the same architecture, which would be trained twice",
                "list each architecture once",
            )
    for key, depth in (("analysis", "deep"), ("shallow", "shallow")):
        if models[key] is not None and parse_model_id(models[key]).depth != depth:
            raise InputError(
                f"{where}: models.{key}",
                f"{models[key]!r} is not a {depth} model",
                f"name a {depth}<width> model of models.sweep",
            )
        if models[key] is not None and models[key] not in models["sweep"]:
            raise InputError(
                f"{where}: models.{key}",
                f"{models[key]!r} is not among the trained models {models['sweep']}",
                f"add it to models.sweep or change models.{key}",
            )
    reverse = config["reverse_training"]
    if models["naive"] and reverse["naive_fit"] == "means" and reverse["score"] == "paper":
        raise InputError(
            f"{where}: reverse_training.naive_fit",
            "the naive baseline's `means` fit has no output pre-activation, which score `paper` ranks",
            "set reverse_training.naive_fit: network, or a score of expression or contrast",
        )
    sets = config["genesets"]
    if sets["min_size"] > sets["max_size"]:
        raise InputError(
            f"{where}: genesets.min_size",
            f"min_size = {sets['min_size']} is above max_size = {sets['max_size']}, so no set is tested",
            "make genesets.min_size at most genesets.max_size",
        )
    lists = {"models.sweep_datasets": models.get("sweep_datasets")}
    lists |= {
        f"diseases.{d}.datasets": spec.get("datasets") for d, spec in config["diseases"].items()
    }
    for key, datasets in lists.items():
        for dataset in set(datasets or []) - set(config["datasets"]):
            raise InputError(
                f"{where}: {key}",
                f"dataset {dataset!r} is not configured",
                f"name datasets of `datasets` ({', '.join(sorted(config['datasets']))})",
            )
    controls = {d["control_label"]: name for name, d in config["datasets"].items()}
    for disease, spec in config["diseases"].items():
        if spec["label"] in controls:
            raise InputError(
                f"{where}: diseases.{disease}.label",
                f"{spec['label']!r} is the control label of dataset {controls[spec['label']]!r}, so "
                "its samples are the controls every disease is compared with",
                "name the disease's own label, or set that dataset's control_label",
            )
    for name, spec in config["datasets"].items():
        min_shared = config["network"]["min_shared_genes"]
        if (spec.get("max_genes") or min_shared) < min_shared:
            raise InputError(
                f"{where}: datasets.{name}.max_genes",
                f"keeps {spec['max_genes']} genes, fewer than the {min_shared} that PPI "
                "colocalization needs in STRING (network.min_shared_genes)",
                f"raise datasets.{name}.max_genes or lower network.min_shared_genes",
            )
    for name, spec in config.get("external", {}).items():
        if spec["case"] in spec["references"]:
            raise InputError(
                f"{where}: external.{name}.references",
                f"the case group {spec['case']!r} is also a reference group",
                "list only the groups the cases are compared with",
            )
    gwas = config["gwas"]
    if not gwas.get(gwas["source"]):
        raise InputError(
            f"{where}: gwas.{gwas['source']}",
            f"gwas.source is {gwas['source']!r} but no file is given",
            f"set gwas.{gwas['source']} to the associations file"
            + (
                " you obtained from DisGeNET (it cannot be bundled)"
                if gwas["source"] == "disgenet"
                else ""
            ),
        )
    if config.get("bundle"):
        paths = {"bundle": config["bundle"]}
    else:
        paths = {f"network.{k}": config["network"][k] for k in ("links", "info")}
    paths["gwas.refgene"] = gwas["refgene"]
    paths[f"gwas.{gwas['source']}"] = gwas[gwas["source"]]
    for name, dataset in config["datasets"].items():
        paths[f"datasets.{name}.matrix"] = dataset["matrix"]
        if dataset.get("annotation"):
            paths[f"datasets.{name}.annotation"] = dataset["annotation"]
        if dataset.get("gene_ids"):
            paths[f"datasets.{name}.gene_ids.mapping"] = dataset["gene_ids"]["mapping"]
    for name, spec in config.get("external", {}).items():
        compendium = config["datasets"].get(spec.get("compendium"))
        if compendium is None and not config.get("bundle"):
            raise InputError(
                f"{where}: external.{name}.compendium",
                "is missing"
                if spec.get("compendium") is None
                else f"dataset {spec['compendium']!r} is not configured",
                f"use one of {sorted(config['datasets'])}",
            )
        if spec["source"] == "file":
            if "group_by" in spec and "samples" in spec:
                raise InputError(
                    f"{where}: external.{name}",
                    "names both a sample sheet (samples) and group_by",
                    "keep samples for a sheet of your own, or group_by for a GEO series matrix",
                )
            if "annotation" in spec and "group_by" not in spec:
                raise InputError(
                    f"{where}: external.{name}.annotation",
                    "describes the samples for group_by, but the dataset has no group_by",
                    "add group_by to group the series' samples, or remove annotation",
                )
            for key in ("samples", "annotation"):
                if key in spec:
                    paths[f"external.{name}.{key}"] = spec[key]
            if "gene_ids" in spec:
                paths[f"external.{name}.gene_ids.mapping"] = spec["gene_ids"]["mapping"]
        elif compendium is not None and compendium["format"] != "archs4":
            raise InputError(
                f"{where}: external.{name}.compendium",
                f"an ARCHS4 series holds counts, but dataset {spec['compendium']!r} is not an "
                "archs4 (RNA-seq) compendium",
                "analyse the series with an archs4 dataset",
            )
        paths[f"external.{name}.matrix"] = spec["matrix"]
    for key, path in paths.items():
        if path not in produced and not Path(path).exists():
            raise InputError(
                f"{where}: {key}",
                f"file {path} does not exist and no rule makes it",
                "put the file there, add it to `downloads`, or correct the path",
            )
        if Path(path).is_dir():
            raise InputError(
                f"{where}: {key}",
                f"{path} is a directory, not a file",
                "name the file inside it",
            )
