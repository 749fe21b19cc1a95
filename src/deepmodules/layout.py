"""The on-disk layout of intermediate results under ``results/``: the one place file names are written.

The rules (``workflow/rules/common.smk``) build their inputs and outputs from these functions and the
package reads the same names, so a folder's contents are defined once:

- ``{dataset}/normalized/``: the compendium (:mod:`deepmodules.data.compendium`), :data:`NORMALIZED`;
- ``{dataset}/models/{model}/``: one trained autoencoder, :data:`MODEL_FILES` and its checkpoint folder;
- ``{dataset}/lightup/{model}/``: one file of each kind of :data:`LIGHTUP_FILES` per hidden layer;
- ``{dataset}/reverse_training/{model}/{layer}/{disease}.tsv``: the module of one replicate
  autoencoder (``deep512.r2``) or of the naive baseline, as reverse training writes it;
- ``{dataset}/modules/{model}/{layer}/{disease}.tsv``: one disease module, the consensus of the
  architecture's replicates (:mod:`deepmodules.modules.consensus`);
- ``{dataset}/replication/{model}/{layer}.tsv``: held-out replication of a method's modules over splits
  (:mod:`deepmodules.validate.replication`);
- ``{dataset}/<table>``: a dataset's result tables, :data:`TABLES` (:func:`table`);
- ``{dataset}/external/{external}/``: an external dataset's GWAS table and modules (:func:`external_file`);
- ``bundles/{dataset}/{model}/`` and ``….tar.gz``: a trained model handed on (:func:`bundle_dir`);
- ``bundle/reference/``: what an analysis against a bundle reads of it, :data:`BUNDLE_REFERENCE`
  (:func:`bundle_reference`); its external datasets are filed under the dataset name
  :data:`BUNDLED` (``bundle/external/{external}/``);
- ``checks/``: the input checks (:func:`check_file`); ``gwas/``: the GWAS genes shared by every
  dataset (:data:`GWAS_FILES`); ``series/``: the groups of GEO series (:func:`series_groups_file`);
  ``figures/``: every figure (:func:`figure_file`).

The workflow's targets (``all``, the figure targets) are built from these functions too, so that no
rule file writes a path under ``results/`` of its own.

A list of disease modules travels between rules as named inputs (:func:`module_key`), so that a rule
script never depends on the order of its inputs nor on parsing their paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

RESULTS = "results"
# Files of a compendium's normalized folder: the min-max scaled matrix (float32 samples x genes), each
# gene's range, the samples' annotation and split, and what the ranges apply to.
NORMALIZED = {
    "expression": "expression.npy",
    "genes": "genes.tsv",
    "samples": "samples.tsv",
    "scale": "scale.json",
}
# Files of a model's folder: the Keras model, the same trained layers as numpy arrays (what every rule
# after training reads, :mod:`deepmodules.model.network`), the training history and summary, and the
# activity of the hidden nodes.
MODEL_FILES = {
    "model": "model.keras",
    "network": "network.npz",
    "history": "history.tsv",
    "training_summary": "training_summary.tsv",
    "node_activity": "node_activity.tsv",
}
CHECKPOINT = "checkpoint"  # the checkpoint folder of a training job (not an output)
# Files of a model's light-up folder, one of each per hidden layer.
LIGHTUP_FILES = {
    "activations": "{layer}.tsv.gz",
    "rankings": "{layer}.rankings.tsv.gz",
    "diversity": "{layer}.diversity.tsv",
}
# A dataset's result tables (results/{dataset}/<name>), by the kind a rule names them with.
TABLES = {
    "reconstruction": "reconstruction.tsv",
    "reconstruction_genes": "reconstruction_genes.tsv.gz",
    "silhouette": "silhouette.tsv",
    "silhouette_summary": "silhouette_summary.tsv",
    "ppi_colocalization": "ppi_colocalization.tsv",
    "ppi_summary": "ppi_summary.tsv",
    "lightup_diversity": "lightup_diversity.tsv",
    "genesets": "genesets.tsv",
    "encodability": "encodability.tsv",
    "gwas_enrichment": "gwas_enrichment.tsv",
    "gwas_combined": "gwas_combined.tsv",
    "gwas_mapping_sensitivity": "gwas_mapping_sensitivity.tsv",
    "controls_analysis": "controls_analysis.tsv",
    "controls_summary": "controls_summary.tsv",
    "truth_recovery": "truth_recovery.tsv",
    "verdict": "verdict.tsv",
    "modules_gmt": "modules.gmt",
}
# The GWAS genes of every disease (results/gwas/), mapped once for all datasets.
GWAS_FILES = {
    "genes": "gwas_genes.tsv",
    "mappings": "gwas_genes_by_mapping.tsv",
    "features": "gene_features.tsv",
    "summary": "gwas_summary.tsv",
}
# An external dataset's files (results/{dataset}/external/{external}/).
EXTERNAL_FILES = {
    "gwas_enrichment": "gwas_enrichment.tsv",
    "modules": "modules",
    "verdict": "verdict.tsv",
}
# The name an analysis against a bundle files its external datasets under, in place of a dataset's.
BUNDLED = "bundle"
# What an analysis against a bundle reads of it (results/bundle/reference/): the genes with their
# ranges, the value scale, the trained layers and the provenance (the model and its compendium).
BUNDLE_REFERENCE = {
    "genes": "genes.tsv",
    "scale": "scale.json",
    "network": "network.npz",
    "provenance": "provenance.json",
    "gene_ids": "gene_ids.tsv",  # a header only where the compendium had no gene id table
}
_MODULE_KEY = "module:"
# How the gzipped tables above are compressed: level 1 wrote deep512's light-up table of one layer
# (12,556 genes × 512 nodes) in 6 s against 20 s at gzip's default level 9, for files read by one rule.
GZIP = {"method": "gzip", "compresslevel": 1}


def table(dataset: str, kind: str) -> str:
    """A result table of a dataset (:data:`TABLES`)."""
    return f"{RESULTS}/{dataset}/{TABLES[kind]}"


def check_file(name: str) -> str:
    """The table of one input check: ``{dataset}``, ``{dataset}_compendium`` (its normalized genes),
    ``network``, ``gwas``, ``external/{external}``, ``external/{external}_scale``,
    ``bundle_reference`` (the bundle analysed against), or ``inputs``, the summary of them all."""
    return f"{RESULTS}/checks/{name}.tsv"


def gwas_file(kind: str) -> str:
    """A file of the GWAS genes shared by every dataset (:data:`GWAS_FILES`)."""
    return f"{RESULTS}/gwas/{GWAS_FILES[kind]}"


def external_file(dataset: str, external: str, kind: str) -> str:
    """A file of an external dataset analysed with a compendium's autoencoder (:data:`EXTERNAL_FILES`)."""
    return f"{RESULTS}/{dataset}/external/{external}/{EXTERNAL_FILES[kind]}"


def external_module_file(
    modules_dir: str | os.PathLike, layer: str, group: str, naive: str | None = None
) -> Path:
    """The module of an external dataset's cases against ``group`` at ``layer``, in its modules folder
    (the group's name made safe for a file name); the ``naive`` baseline's (its model id) in a folder
    of that name."""
    slug = re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_")
    return Path(modules_dir) / (naive or layer) / f"vs_{slug}.tsv"


def series_groups_file(external: str) -> str:
    """The sample groups of a GEO series of the ARCHS4 file, listed for the user to pick from."""
    return f"{RESULTS}/series/{external}_groups.tsv"


def figure_file(stem: str, extension: str) -> str:
    """A file of the figures folder: ``<stem>.<extension>`` (a figure's PDF and PNG, a table beside it)."""
    return f"{RESULTS}/figures/{stem}.{extension}"


def bundle_dir(dataset: str, model: str) -> str:
    """The bundle of a trained model (:mod:`deepmodules.bundle`)."""
    return f"{RESULTS}/bundles/{dataset}/{model}"


def bundle_archive(dataset: str, model: str) -> str:
    """The archive of a bundle, beside its folder."""
    return f"{bundle_dir(dataset, model)}.tar.gz"


def bundle_reference(kind: str) -> str:
    """A file of the bundle an analysis runs against, as unpacked and verified (:data:`BUNDLE_REFERENCE`)."""
    return f"{RESULTS}/{BUNDLED}/reference/{BUNDLE_REFERENCE[kind]}"


def normalized_dir(dataset: str) -> str:
    """The normalized folder of a compendium."""
    return f"{RESULTS}/{dataset}/normalized"


def normalized_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Every file of a normalized folder, by kind (:data:`NORMALIZED`)."""
    return {kind: Path(folder) / name for kind, name in NORMALIZED.items()}


def normalized_folder(path: str | os.PathLike) -> Path:
    """The normalized folder holding one of its files (a rule's ``expression`` input)."""
    return Path(path).parent


def model_dir(dataset: str, model: str) -> str:
    """The folder of one trained autoencoder."""
    return f"{RESULTS}/{dataset}/models/{model}"


def model_file(dataset: str, model: str, kind: str) -> str:
    """One file of a model's folder (:data:`MODEL_FILES`)."""
    return f"{model_dir(dataset, model)}/{MODEL_FILES[kind]}"


def checkpoint_dir(model_path: str | os.PathLike) -> Path:
    """The checkpoint folder beside a model's ``model.keras``."""
    return Path(model_path).parent / CHECKPOINT


def lightup_file(dataset: str, model: str, layer: str, kind: str) -> str:
    """One light-up file of a hidden layer (:data:`LIGHTUP_FILES`)."""
    return f"{RESULTS}/{dataset}/lightup/{model}/" + LIGHTUP_FILES[kind].format(layer=layer)


def module_file(dataset: str, model: str, layer: str, disease: str) -> str:
    """The disease module of one disease at one layer of one model."""
    return f"{RESULTS}/{dataset}/modules/{model}/{layer}/{disease}.tsv"


def replicate_module_file(dataset: str, model: str, layer: str, disease: str) -> str:
    """The module of one disease at one layer of one replicate (or of the naive baseline)."""
    return f"{RESULTS}/{dataset}/reverse_training/{model}/{layer}/{disease}.tsv"


def replication_file(dataset: str, model: str, layer: str) -> str:
    """Held-out replication of one method's modules (every disease and split)."""
    return f"{RESULTS}/{dataset}/replication/{model}/{layer}.tsv"


def module_key(model: str, layer: str, disease: str) -> str:
    """The input name of one disease module in a rule that takes many."""
    return f"{_MODULE_KEY}{model}:{layer}:{disease}"


def module_inputs(
    dataset: str, pairs: Iterable[tuple[str, str]], diseases: Iterable[str]
) -> dict[str, str]:
    """Named inputs of the modules of every (model, layer) pair and disease, pairs outermost."""
    diseases = list(diseases)
    return {
        module_key(model, layer, disease): module_file(dataset, model, layer, disease)
        for model, layer in pairs
        for disease in diseases
    }


def modules_of(
    named: Mapping[str, str] | Iterable[tuple[str, str]],
) -> list[tuple[str, str, str, str]]:
    """(model, layer, disease, path) of every module among a rule's named inputs, in their order.

    ``named`` is the rule's ``input`` (its ``items()``) or a mapping from input name to path; inputs
    not made by :func:`module_inputs` are passed over.
    """
    items = named.items() if hasattr(named, "items") else named
    return [
        (*name[len(_MODULE_KEY) :].split(":"), str(path))
        for name, path in items
        if name.startswith(_MODULE_KEY)
    ]
