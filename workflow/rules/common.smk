import os
import re
import sys
from pathlib import Path

from deepmodules import layout
from deepmodules.config import (
    DOWNLOADS as DOWNLOADED_TO,
    check_config,
    compendium_spec,
    diseases_of,
    validate_config,
)
from deepmodules.errors import InputError
from deepmodules.model import epochs
from deepmodules.model.architecture import (
    ARCHITECTURE_PATTERN,
    MODEL_PATTERN,
    parse_model_id,
    replicate_ids,
)
from deepmodules.simulate import GROUND_TRUTH_FILE, OUTPUT_FILES
from deepmodules.workflow import export_environment

ROOT = Path(workflow.basedir)


def simulated_paths():
    """Every file the simulate rule writes, when the demo compendium is enabled."""
    if not config.get("simulate", {}).get("enabled"):
        return []
    return [f"{config['simulate']['outdir']}/{name}" for name in OUTPUT_FILES]


def truth_file():
    """The planted ground truth of the simulated compendium, or None without one."""
    if not config.get("simulate", {}).get("enabled"):
        return None
    return f"{config['simulate']['outdir']}/{GROUND_TRUTH_FILE}"


try:
    validate_config(config, ROOT / "config" / "schema.yaml")
    DOWNLOADED = {f"{DOWNLOADED_TO}/{name}" for name in config["downloads"]}
    check_config(config, set(simulated_paths()) | DOWNLOADED)
except InputError as error:
    sys.exit(f"Configuration error: {error}")

# Rule scripts import the package from this checkout (also inside conda envs and on cluster nodes)
# and load the configured Keras backend.
export_environment(ROOT / "src", config["training"]["backend"])

DATASETS = list(config["datasets"])
DISEASES = list(config["diseases"])
MODELS = config["models"]
ANALYSIS = MODELS["analysis"]
# An analysis against a trained-model bundle (config `bundle`): no dataset, its external datasets
# filed under layout.BUNDLED.
BUNDLE = config.get("bundle")
# The names results are filed under: the datasets, or the bundle's.
ANALYSED = DATASETS + ([layout.BUNDLED] if BUNDLE else [])


def sweep_models(dataset):
    """The models trained on a dataset: the whole sweep, or only the analysed ones (models.sweep_datasets)."""
    if MODELS["sweep_datasets"] is None or dataset in MODELS["sweep_datasets"]:
        return MODELS["sweep"]
    return [m for m in MODELS["sweep"] if m in (ANALYSIS, MODELS["shallow"])]


def diseases_in(dataset):
    """The configured diseases analysed in one dataset (diseases.*.datasets), by id."""
    return diseases_of(config, dataset)


def external_files(external):
    """The input files of an external dataset: its matrix, and its sample sheet or series matrix
    and its gene id table where it has them."""
    spec = config["external"][external]
    files = [
        spec["matrix"],
        spec.get("samples"),
        spec.get("annotation"),
        spec.get("gene_ids", {}).get("mapping"),
    ]
    return [path for path in files if path]


def external_compendium(wc):
    """The config of the dataset an external dataset is analysed with (None against a bundle: the
    rule reads the bundle's provenance, deepmodules.workflow.analysed_with)."""
    return config["datasets"].get(config["external"][wc.external]["compendium"])


def bundle_provenance(wc):
    """The provenance of the bundle analysed against and the gene id table it names, as named
    inputs (none without a bundle)."""
    if not BUNDLE:
        return {}
    return {kind: layout.bundle_reference(kind) for kind in ("provenance", "gene_ids")}


def external_reference(wc):
    """The genes and value scale an external dataset is put on: its compendium's normalized files,
    or the bundle's with its provenance."""
    if BUNDLE:
        return {kind: layout.bundle_reference(kind) for kind in ("genes", "scale")} | (
            bundle_provenance(wc)
        )
    folder = layout.normalized_dir(config["external"][wc.external]["compendium"])
    return {kind: f"{folder}/{layout.NORMALIZED[kind]}" for kind in ("genes", "scale")}


def external_network(wc):
    """The trained layers an external dataset is analysed with: the compendium's analysed model, or
    the bundle's."""
    if BUNDLE:
        return layout.bundle_reference("network")
    return layout.model_file(
        config["external"][wc.external]["compendium"], ANALYSIS, "network"
    )


def grouped_series():
    """The external datasets whose samples `group_by` groups: ARCHS4 series, GEO series matrices."""
    return [name for name, spec in config["external"].items() if spec.get("group_by")]


def archs4_series():
    """The external datasets that are GEO series of an ARCHS4 file."""
    return [
        name for name, spec in config["external"].items() if spec["source"] == "archs4"
    ]


def dataset_files(dataset):
    """The source files of one compendium: matrix, annotation, gene id table."""
    spec = config["datasets"][dataset]
    files = [spec["matrix"], spec.get("annotation")]
    files.append(spec.get("gene_ids", {}).get("mapping"))
    return [path for path in files if path]


def all_dataset_files():
    """The source files of every compendium."""
    return [path for dataset in DATASETS for path in dataset_files(dataset)]


def model_threads(wildcards):
    """Threads of a job that fits a network on model {model} (or naive baseline): one for a small
    model, else two."""
    if wildcards.model.startswith("naive"):
        return epochs.threads(config["reverse_training"]["naive_hidden"], 2)
    return epochs.threads(parse_model_id(wildcards.model).width, 2)


def input_mb(files):
    """Size of a job's input files in MiB, for memory requests that scale with the data.

    A missing input raises FileNotFoundError, which makes Snakemake evaluate the request again once
    the input exists (Snakemake's own `input.size_mb` leaves an un-awaited coroutine behind when the
    report or a dry run evaluates resources).
    """
    return sum(os.path.getsize(path) for path in files) / 2**20


# Memory of the streamed ARCHS4 normalization (deepmodules.data.archs4), whatever the file's size: blocks of
# counts and their float64 copies, and the metadata of every sample of the file (benchmarks/archs4.py).
ARCHS4_MEM_MB = 4000

# Which settings of a config section reach which rules (`subset(section, keys)`): each rule gets the
# settings it uses, so that an edit reruns only those rules (the contract of docs/architecture.md,
# "Rerun scope").
#
# Training settings that change nothing in the trained model, kept out of train's params so that an
# edit reruns no training: the GPUs, the checkpoint interval and the reconstruction gate.
NOT_TRAINING = ["gpus", "checkpoint_seconds", "min_median_r2"]


def training_settings():
    """Every training setting that shapes a model (not NOT_TRAINING): the train rule's params, and
    what a bundle records of how its model was made."""
    return {k: v for k, v in config["training"].items() if k not in NOT_TRAINING}


# The reverse-training settings that shape a disease module (naive_hidden only names the baseline).
REVERSE_TRAINING_KEYS = [
    "seeds",
    "epochs",
    "batch_size",
    "learning_rate",
    "tolerance",
    "max_steps",
    "score",
]
# The naive baseline's fits also depend on how it is fitted.
NAIVE_KEYS = [*REVERSE_TRAINING_KEYS, "naive_fit"]
# The verdict settings that shape the held-out splits (confidence only changes the verdict's intervals).
REPLICATION_KEYS = ["splits"]
# The gwas settings of SNP-to-gene mapping, and those of the enrichment tests.
GWAS_MAPPING_KEYS = [
    "source",
    "snp_build",
    "refgene_build",
    "noncoding_genes",
    "mapping",
    "window_kb",
    "locus_kb",
    "null_density_kb",
]
GWAS_ENRICHMENT_KEYS = [
    "mapping",
    "min_gwas_genes",
    "null_draws",
    "null_stratum_genes",
    "null_density_bins",
]


def gwas_terms():
    """The GWAS search terms of every disease, of the compendium and of the external datasets."""
    return {
        disease: {key: value for key, value in spec.items() if key.endswith("_terms")}
        for disease, spec in {**config["diseases"], **config["external"]}.items()
    }


def layers(model):
    """Hidden layers of a model id (naive baselines have one)."""
    if model.startswith("naive"):
        return ["h1"]
    return parse_model_id(model).layers


def module_models():
    """(model, layer) pairs whose disease modules are derived and tested against GWAS genes."""
    pairs = [(ANALYSIS, layer) for layer in layers(ANALYSIS)]
    if MODELS["shallow"]:
        pairs.append((MODELS["shallow"], "h1"))
    if MODELS["naive"]:
        pairs.append((f"naive{config['reverse_training']['naive_hidden']}", "h1"))
    return pairs


# The methods whose modules are compared: an architecture (its replicates together) or a naive baseline.
METHOD_PATTERN = rf"{ARCHITECTURE_PATTERN}|naive\d+"


def replicates_of(model):
    """The trained replicates of a method: models.replicates of the analysed architectures, else one."""
    if model in (ANALYSIS, MODELS["shallow"]):
        return replicate_ids(model, MODELS["replicates"])
    return [model]


def replicate_module_inputs(wc):
    """The replicates' module files of a method and layer, named by disease (lists in replicate order)."""
    return {
        disease: [
            layout.replicate_module_file(wc.dataset, replicate, wc.layer, disease)
            for replicate in replicates_of(wc.model)
        ]
        for disease in DISEASES
    }


def replication_networks(wc):
    """The trained layers of every replicate of an architecture (none for a naive baseline)."""
    if wc.model.startswith("naive"):
        return []
    return [
        layout.model_file(wc.dataset, replicate, "network")
        for replicate in replicates_of(wc.model)
    ]


def replication_inputs(wc):
    """The held-out replication table of every (model, layer) of the dataset's modules, by name."""
    return {
        f"replication:{model}:{layer}": layout.replication_file(
            wc.dataset, model, layer
        )
        for model, layer in module_models()
    }


def module_inputs(wc):
    """Every disease module of a dataset as named inputs (deepmodules.layout.module_inputs)."""
    return layout.module_inputs(wc.dataset, module_models(), diseases_in(wc.dataset))


def subset(section, keys):
    """The config values of one section that a rule uses, so that editing another reruns nothing."""
    return {key: config[section][key] for key in keys}


def normalized(kind):
    """One file of a dataset's normalized folder (deepmodules.layout.NORMALIZED)."""
    return f"{layout.normalized_dir('{dataset}')}/{layout.NORMALIZED[kind]}"


def analysis_lightup(kind):
    """A light-up file of every hidden layer of the analysed model, for a dataset's rules."""
    return [
        layout.lightup_file("{dataset}", ANALYSIS, layer, kind)
        for layer in layers(ANALYSIS)
    ]


# Everything that is downloaded, by its path under resources/ (the configured source files and the
# gene-set collections).
DOWNLOADS = {f"downloads/{name}": spec for name, spec in config["downloads"].items()}
DOWNLOADS |= {
    f"genesets/{name}.gmt": spec
    for name, spec in config["genesets"]["collections"].items()
}


# Paper figures: target rule name -> (file stem, dataset it is drawn from). Figs. 2-5 are drawn from
# the first dataset of the config (the microarray compendium in the paper), Figs. 6-7 from the second.
# Against a bundle, one figure: the GWAS enrichment of every external dataset.
FIRST, SECOND = (DATASETS + [None, None])[:2]
FIGURES = {
    "fig2": ("fig2_reconstruction", FIRST),
    "fig3": ("fig3_gwas_enrichment", FIRST),
    "fig4": ("fig4_silhouette", FIRST),
    "fig5": ("fig5_ppi_colocalization", FIRST),
    "fig6": ("fig6_rnaseq_gwas", SECOND),
    "fig7": ("fig7_rnaseq_ppi", SECOND),
    "fig_bundle": ("bundle_gwas_enrichment", layout.BUNDLED),
}


def figure_files(name):
    """A figure's PDF and PNG, and the supplementary table of the GWAS figures."""
    stem, dataset = FIGURES[name]
    if dataset not in ANALYSED:
        return []
    files = [layout.figure_file(stem, "pdf"), layout.figure_file(stem, "png")]
    if "gwas" in stem:
        files.append(layout.figure_file(f"{stem}_table", "tsv"))
    return files


def bundle_tables(wc):
    """The dataset's result tables a bundle carries the model's rows of (deepmodules.bundle)."""
    kinds = ["reconstruction", "ppi_colocalization"]
    if diseases_in(wc.dataset):
        kinds += ["encodability", "verdict"]
    return {f"table_{kind}": layout.table(wc.dataset, kind) for kind in kinds}


def all_targets():
    """The tables and figures of a run (`snakemake` without a target)."""
    targets = [layout.check_file("inputs")]
    targets += [f for name in FIGURES for f in figure_files(name)]
    for dataset in DATASETS:
        targets += [
            layout.table(dataset, "reconstruction"),
            layout.table(dataset, "ppi_colocalization"),
            layout.table(dataset, "silhouette"),
        ]
        if diseases_in(dataset):
            targets += [
                layout.table(dataset, "gwas_enrichment"),
                layout.table(dataset, "modules_gmt"),
                layout.table(dataset, "controls_analysis"),
                layout.table(dataset, "verdict"),
            ]
    targets += [
        layout.external_file(spec["compendium"], external, kind)
        for external, spec in config["external"].items()
        for kind in ("gwas_enrichment", "verdict")
    ]
    if truth_file():
        targets += [
            layout.table(dataset, "truth_recovery")
            for dataset in DATASETS
            if diseases_in(dataset)
        ]
        targets += [
            layout.figure_file("supp_truth_recovery", "pdf"),
            layout.figure_file("supp_truth_recovery", "png"),
        ]
    if config["genesets"]["collections"] and DATASETS:
        targets += [layout.table(dataset, "genesets") for dataset in DATASETS]
        targets += [
            layout.figure_file("supp_genesets", "pdf"),
            layout.figure_file("supp_genesets", "png"),
        ]
    return targets


wildcard_constraints:
    dataset="|".join(ANALYSED),
    model=MODEL_PATTERN,
    layer=r"h[123]",
    disease="|".join(DISEASES),
    external="|".join(config["external"]) or "(?!)",


def figure_dataset(wc):
    """The dataset a figure is drawn from."""
    return next(dataset for stem, dataset in FIGURES.values() if stem == wc.figure)


def gwas_figure_inputs(wc):
    """A GWAS figure's tables: its dataset's enrichment tables (when it analyses diseases) and those of
    the GEO series analysed with its autoencoder, named series:<external>, with their verdicts
    (verdict:<external>); against a bundle, those of every external dataset, and the bundle's
    provenance (its model's name)."""
    dataset = figure_dataset(wc)
    shown = [
        name
        for name in (config["external"] if BUNDLE else archs4_series())
        if config["external"][name]["compendium"] == dataset
    ]
    inputs = {
        f"{kind}:{name}": layout.external_file(dataset, name, table)
        for name in shown
        for kind, table in (("series", "gwas_enrichment"), ("verdict", "verdict"))
    } | bundle_provenance(wc)
    if diseases_in(dataset):
        for kind, name in (
            ("table", "gwas_enrichment"),
            ("combined", "gwas_combined"),
            ("sensitivity", "gwas_mapping_sensitivity"),
        ):
            inputs[kind] = layout.table(dataset, name)
        inputs["verdict"] = layout.table(dataset, "verdict")
    return inputs


def figure_outputs(kind, stem="{figure}"):
    """A figure's PNG, shown in the report, and its PDF for print, both under the figure's name
    (subcategory) with the caption of ``workflow/report/<kind>.rst``."""
    return {
        fmt: report(
            layout.figure_file(stem, fmt),
            caption=f"../report/{kind}.rst",
            category="Figures",
            subcategory=stem,
            labels={"figure": stem, "format": fmt.upper()},
        )
        for fmt in ("png", "pdf")
    }


def figure_stems(kind):
    """Wildcard pattern of the figures drawn by one figure rule."""
    return "|".join(stem for stem, _ in FIGURES.values() if kind in stem)
