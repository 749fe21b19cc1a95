r"""A simulated transcriptomic compendium with planted disease modules, in the real sources' formats.

The simulation writes, under one output folder, stand-ins for every download of the workflow
(E-MTAB-3732 matrix and SDRF, ARCHS4 HDF5, STRING links and info, DisGeNET and GWAS Catalog
associations, UCSC refGene) together with ``ground_truth.json``, which records what was planted.

Generative model
----------------
Genes ``g = 1..G`` carry symbols ``SG00001`` …; ``K`` communities (programs) of ``m`` genes each, the
other genes are background. Each gene has a program ``k(g)`` (background genes: a random one).

Protein interactions: community genes are linked with probability ``p_in``; random background pairs
bring the mean degree to ``mean_degree``. A disease module is grown by breadth-first search over this
network from a gene of a program active in the disease's cell type, then densified: every pair of
module genes is linked with probability ``module_p_densify``. Community and module edges score
mostly ≥ 700, background edges 150–600.

Program activities of sample ``s`` of cell type ``c``, with ``P_c`` the programs that ``c`` switches on
and ``F`` the freely varying programs:

.. math::

    a_{sk} \sim \mathrm{Beta}(8, 2) \text{ if } k \in P_c, \quad
    a_{sk} \sim \mathrm{Beta}(2, 8) \text{ if } k \notin P_c \cup F, \quad
    a_{sk} \sim \mathrm{U}(0, 1) \text{ if } k \in F.

Log2 expression of gene ``g`` in sample ``s`` of study ``t``:

.. math::

    E_{sg} = b_g + A_g f_g(a_s) + \beta_{tg} + \varepsilon_{sg} + \sum_d v_{sd} \delta_{dg},
    \qquad \varepsilon_{sg} \sim N(0, \sigma_g^2), \quad \beta_{tg} \sim N(0, \sigma_\beta^2),

with ``f_g(a) = a_{k(g)}`` for most genes and the XOR-like interaction of two programs
``f_g(a) = a_k + a_l − 2 a_k a_l`` for a fraction of community genes. Background genes load weakly
(``A_g`` scaled by ``background_loading``). Disease ``d`` planted in cases: severity
``v_{sd} ~ U(0.7, 1)`` for the cases of ``d`` (0 otherwise) and, for its module genes,

.. math::

    |\delta_{dg}| = 1.5 A_g + 4 \sigma_g,

upwards for most genes and downwards for a fraction ``down_fraction``; module genes' baselines
``b_g`` are moved so that the shifted values stay inside the platform's range ``log2_range``.
This is ``disease_effect: genes``. With ``disease_effect: programs`` a disease acts through a gene
program instead: its module is the community of a program ``k_d`` that its cell type switches off and
as many other cell types as possible switch on (so that it varies across the compendium without being
saturated in the disease's cell type), densified as above; ``δ = 0`` and the cases' activity of ``k_d`` rises,

.. math::

    a_{sk_d} \leftarrow \min(1, a_{sk_d} + v_{sd} \Delta), \qquad \Delta = \texttt{program\_shift},

so that module gene ``g`` moves by ``A_g v_{sd} Δ`` (XOR genes by ``A_g v_{sd} Δ (1 − 2 a_l)``), a
shift that may be small against each gene's noise and batch but is shared by the whole program.
Background genes with ``k(g) = k_d`` and XOR genes partnered with ``k_d`` move too, as weakly or
strongly as their loading says; they are not module genes.
The negative-control disease (``sham_disease``) has cases and controls but ``δ = 0`` (and no shift).

RNA-seq counts (ARCHS4 arm, its own samples and studies from the same model):

.. math::

    Y_{sg} \sim \mathrm{Poisson}\Big(L_s \, 2^{E_{sg}} / \textstyle\sum_h 2^{E_{sh}}\Big),
    \qquad \log L_s \sim \mathrm{U}(\log 10^6, \log 2\cdot 10^7).

Genome and GWAS: genes lie on chr1–chr22 and chrX, at least ``gene_spacing_min`` apart. Gene lengths
are uniform over ``gene_length_range`` or, with ``gene_length_log_sd`` set, log-normal around the
range's geometric midpoint with that standard deviation of the natural log, clipped to the range (real
gene lengths span three orders of magnitude, with sd of log length about 1.2). For each
planted disease, SNPs fall inside or within ``snp_flank`` bp of a fraction ``gwas_fraction`` of its
module genes (so that the closest gene is that gene); decoy SNPs fall near random non-module genes,
and a few lie on chrY (which has no genes) or have no position.

Regimes
-------
Named parameter sets (:data:`REGIMES`) for the ways a disease may act, each applied over the defaults
before the caller's overrides, with the same files written:

* ``direct`` (the default and the demo): ``disease_effect: genes``, each case's module genes shifted by
  ``v_sd δ_dg`` with ``v_sd ~ U(0.7, 1)``, ``cases_per_study`` cases per disease study (4% of the demo's
  microarray samples per disease).
* ``program``: ``disease_effect: programs`` with ``program_shift: 0.3``.
* ``rare``: ``direct`` effects in few samples: ``disease_case_share: 0.01``, so that
  ``cases_per_study = max(1, ⌊0.01 · min(n_microarray_samples, n_rnaseq_samples) /
  n_studies_per_disease⌋)`` and each disease's cases are about 1% of a platform's samples.

Generation runs in blocks of genes (microarray text) or samples (RNA-seq HDF5), so memory stays far
below one float32 samples × genes matrix; a fixed seed gives byte-identical files.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import h5py
import numpy as np
import pandas as pd
from scipy import sparse

from deepmodules.errors import InputError

MATRIX_FILE = "E-MTAB-3732/E-MTAB-3732.processed.1.zip"
MATRIX_MEMBER = "processedMatrix.Aurora.july2015.txt"
SDRF_FILE = "E-MTAB-3732/E-MTAB-3732.sdrf.txt"
ARCHS4_FILE = "archs4/human_gene_v2.latest.h5"
STRING_LINKS_FILE = "string/9606.protein.links.v12.0.txt.gz"
STRING_INFO_FILE = "string/9606.protein.info.v12.0.txt.gz"
DISGENET_FILE = "gwas/curated_variant_disease_associations.tsv.gz"
GWAS_CATALOG_FILE = "gwas/gwas_catalog_associations.tsv"
REFGENE_FILE = "refgene/refGene.txt.gz"
GROUND_TRUTH_FILE = "ground_truth.json"
EXTERNAL_MATRIX_FILE = "external/multiple_sclerosis_expression.tsv"
EXTERNAL_SAMPLES_FILE = "external/multiple_sclerosis_samples.tsv"
# Every file simulate() writes; the ground truth comes last and sits at the top of the folder.
OUTPUT_FILES = (
    MATRIX_FILE,
    SDRF_FILE,
    ARCHS4_FILE,
    STRING_LINKS_FILE,
    STRING_INFO_FILE,
    DISGENET_FILE,
    GWAS_CATALOG_FILE,
    REFGENE_FILE,
    EXTERNAL_MATRIX_FILE,
    EXTERNAL_SAMPLES_FILE,
    GROUND_TRUTH_FILE,
)

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BLOCK_VALUES = 2_000_000  # expression values generated per block

DISEASES: dict[str, dict[str, str]] = {
    "asthma": {
        "label": "asthma",
        "cell_type": "airway epithelium",
        "disgenet_id": "C0004096",
        "disgenet_name": "Asthma",
        "disgenet_class": "C08;C20",
        "semantic_type": "Disease or Syndrome",
        "efo_id": "EFO_0000270",
        "trait": "asthma",
        "catalog_trait": "Asthma",
    },
    "crohns_disease": {
        "label": "Crohn's disease",
        "cell_type": "colon epithelium",
        "disgenet_id": "C0010346",
        "disgenet_name": "Crohn Disease",
        "disgenet_class": "C06",
        "semantic_type": "Disease or Syndrome",
        "efo_id": "EFO_0000384",
        "trait": "Crohn's disease",
        "catalog_trait": "Crohn's disease",
    },
    "ulcerative_colitis": {
        "label": "ulcerative colitis",
        "cell_type": "colon epithelium",
        "disgenet_id": "C0009324",
        "disgenet_name": "Ulcerative Colitis",
        "disgenet_class": "C06",
        "semantic_type": "Disease or Syndrome",
        "efo_id": "EFO_0000729",
        "trait": "ulcerative colitis",
        "catalog_trait": "Ulcerative colitis",
    },
    "obesity": {
        "label": "obesity",
        "cell_type": "adipocyte",
        "disgenet_id": "C0028754",
        "disgenet_name": "Obesity",
        "disgenet_class": "C18;C23",
        "semantic_type": "Disease or Syndrome",
        "efo_id": "EFO_0001073",
        "trait": "obesity",
        "catalog_trait": "Obesity",
    },
    "colon_carcinoma": {
        "label": "colon carcinoma",
        "cell_type": "colon epithelium",
        "disgenet_id": "C0699790",
        "disgenet_name": "Colon Carcinoma",
        "disgenet_class": "C04;C06",
        "semantic_type": "Neoplastic Process",
        "efo_id": "EFO_1001950",
        "trait": "colon carcinoma",
        "catalog_trait": "Colon cancer",
    },
    "multiple_sclerosis": {
        "label": "multiple sclerosis",
        "cell_type": "T cell",
        "disgenet_id": "C0026769",
        "disgenet_name": "Multiple Sclerosis",
        "disgenet_class": "C10;C20",
        "semantic_type": "Disease or Syndrome",
        "efo_id": "EFO_0003885",
        "trait": "multiple sclerosis",
        "catalog_trait": "Multiple sclerosis",
    },
    "sham_disease": {
        "label": "sham disease",
        "cell_type": "T cell",
        "disgenet_id": "C9999999",
        "disgenet_name": "Sham disease",
        "disgenet_class": "C23",
        "semantic_type": "Disease or Syndrome",
        "efo_id": "EFO_9999999",
        "trait": "sham trait",
        "catalog_trait": "Sham trait",
    },
}
NEGATIVE_CONTROLS = ("sham_disease",)
EFO_PREFIX = "http://www.ebi.ac.uk/efo/"

CELL_TYPES = [
    "T cell",
    "hepatocyte",
    "colon epithelium",
    "airway epithelium",
    "adipocyte",
    "neuron",
    "monocyte",
    "keratinocyte",
]
MORE_CELL_TYPES = [
    "B cell",
    "fibroblast",
    "endothelial cell",
    "cardiomyocyte",
    "skeletal muscle",
    "pancreatic islet",
    "renal tubule",
    "bone marrow",
]

# hg38 chromosome lengths in Mb: the weights by which genes are spread over the simulated genome.
CHROMOSOME_MB = {
    **dict(
        zip(
            [str(i) for i in range(1, 23)],
            [249, 242, 198, 190, 182, 171, 159, 145, 138, 134, 135, 133]
            + [114, 107, 102, 90, 83, 80, 59, 64, 47, 51],
            strict=True,
        )
    ),
    "X": 156,
}
CHRY_LENGTH = 57_227_415

DEFAULT_PARAMS: dict = {
    # genes and programs
    "n_genes": 2000,
    "n_communities": 40,
    "community_size": 25,
    "n_free_programs": 4,
    "cell_types": CELL_TYPES,
    "programs_per_cell_type": 6,
    "on_beta": [8.0, 2.0],
    "off_beta": [2.0, 8.0],
    # protein interaction network
    "p_in": 0.3,
    "mean_degree": 10.0,
    "module_p_densify": 0.25,
    "high_score_range": [700, 999],
    "low_high_score_fraction": 0.1,
    "noise_score_range": [150, 600],
    "two_protein_fraction": 0.05,
    "unmatched_protein_fraction": 0.03,
    # expression
    "base_range": [4.0, 9.0],
    "amplitude_range": [1.0, 3.0],
    "sigma_range": [0.1, 0.3],
    "background_loading": 0.15,
    "xor_fraction": 0.2,
    "batch_sd": 0.15,
    "log2_range": [2.0, 14.0],
    # study design
    "diseases": [d for d in DISEASES if d != "multiple_sclerosis"],
    "external_diseases": ["multiple_sclerosis"],
    "external_cases": 30,
    "external_other_disease": 22,
    "external_controls": 20,
    "external_other_severity": [0.2, 0.4],
    "external_missing_fraction": 0.03,
    "n_studies_per_disease": 2,
    "cases_per_study": 40,
    "disease_case_share": None,  # when set, cases_per_study is derived from it (see Regimes)
    "controls_per_study": 20,
    "healthy_study_size": 40,
    "n_microarray_samples": 2000,
    "n_rnaseq_samples": 1500,
    "n_single_cell_samples": 20,
    "library_size_range": [1e6, 2e7],
    # planted disease modules
    "module_size": 30,
    "severity_range": [0.7, 1.0],
    "effect_amplitude_factor": 1.5,
    "effect_noise_factor": 4.0,
    "down_fraction": 0.2,
    "disease_effect": "genes",  # genes: δ_dg on module genes; programs: shift of a program's activity
    "program_shift": 0.3,  # Δ, the case shift of the disease program's activity (programs mode)
    # genome and GWAS
    "gene_spacing_min": 200_000,
    "gene_spacing_jitter": 300_000,
    "gene_length_range": [5_000, 80_000],
    "gene_length_log_sd": None,  # None: lengths uniform over the range; else log-normal (Genome)
    "two_transcript_fraction": 0.1,
    "exon_count_range": [2, 10],
    "gwas_fraction": 0.7,
    "max_snps_per_gene": 2,
    "snp_flank": 2_000,
    "n_decoy_genes": 25,
    "n_chry_snps": 1,
    "n_unplaced_snps": 1,
    "n_haplotype_rows": 1,
}

PAPER_PARAMS: dict = {
    **DEFAULT_PARAMS,
    "n_genes": 20_000,
    "n_communities": 400,
    "n_free_programs": 20,
    "cell_types": CELL_TYPES + MORE_CELL_TYPES,
    "programs_per_cell_type": 40,
    "n_studies_per_disease": 4,
    "cases_per_study": 60,
    "controls_per_study": 30,
    "healthy_study_size": 60,
    "n_microarray_samples": 27_887,
    "n_rnaseq_samples": 59_532,
    "n_single_cell_samples": 500,
    "module_size": 200,
    "n_decoy_genes": 150,
    "n_chry_snps": 3,
    "n_unplaced_snps": 3,
    "n_haplotype_rows": 2,
}

# Named parameter sets of the ways a disease acts (module docstring, Regimes).
REGIMES: dict[str, dict] = {
    "direct": {},
    "program": {"disease_effect": "programs", "program_shift": 0.3},
    "rare": {"disease_case_share": 0.01},
}

SDRF_COLUMNS = [
    "Source Name",
    "Characteristics[organism]",
    "Characteristics[organism part]",
    "Characteristics[cell type]",
    "Characteristics[disease]",
    "Characteristics[study]",
    "Assay Name",
    "Array Design REF",
    "Derived Array Data Matrix File",
]
DISGENET_COLUMNS = [
    "snpId",
    "chromosome",
    "position",
    "DSI",
    "DPI",
    "diseaseId",
    "diseaseName",
    "diseaseType",
    "diseaseClass",
    "diseaseSemanticType",
    "score",
    "EI",
    "YearInitial",
    "YearFinal",
    "NofPmids",
    "source",
]
GWAS_CATALOG_COLUMNS = [
    "DATE ADDED TO CATALOG",
    "PUBMEDID",
    "FIRST AUTHOR",
    "DATE",
    "JOURNAL",
    "LINK",
    "STUDY",
    "DISEASE/TRAIT",
    "INITIAL SAMPLE SIZE",
    "REPLICATION SAMPLE SIZE",
    "REGION",
    "CHR_ID",
    "CHR_POS",
    "REPORTED GENE(S)",
    "MAPPED_GENE",
    "UPSTREAM_GENE_ID",
    "DOWNSTREAM_GENE_ID",
    "SNP_GENE_IDS",
    "UPSTREAM_GENE_DISTANCE",
    "DOWNSTREAM_GENE_DISTANCE",
    "STRONGEST SNP-RISK ALLELE",
    "SNPS",
    "MERGED",
    "SNP_ID_CURRENT",
    "CONTEXT",
    "INTERGENIC",
    "RISK ALLELE FREQUENCY",
    "P-VALUE",
    "PVALUE_MLOG",
    "P-VALUE (TEXT)",
    "OR or BETA",
    "95% CI (TEXT)",
    "PLATFORM [SNPS PASSING QC]",
    "CNV",
    "MAPPED_TRAIT",
    "MAPPED_TRAIT_URI",
    "STUDY ACCESSION",
    "GENOTYPING TECHNOLOGY",
]


@dataclass
class GeneModel:
    """Per-gene parameters of the expression model (arrays over genes, float32)."""

    symbols: list[str]
    program: np.ndarray  # k(g)
    partner: np.ndarray  # l(g) for XOR genes, -1 otherwise
    base: np.ndarray  # b_g
    amplitude: np.ndarray  # A_g
    sigma: np.ndarray  # σ_g
    effect: np.ndarray  # δ_dg, diseases × genes
    shift: np.ndarray  # Δ at (d, k_d), diseases × programs (programs mode; zeros otherwise)


@dataclass
class Arm:
    """The samples of one platform: their design and latent variables."""

    design: pd.DataFrame  # one row per sample: name, study, study_id, cell_type, disease, case
    activity: np.ndarray  # a_sk, samples × programs
    severity: np.ndarray  # v_sd, samples × diseases
    batch: np.ndarray  # β_tg, studies × genes


def simulate(outdir: Path, params: dict, seed: int, regime: str = "direct") -> dict:
    """Write the simulated sources under ``outdir`` and return the planted ground truth.

    ``params`` overrides keys of :data:`DEFAULT_PARAMS` and of the ``regime``'s parameter set
    (:data:`REGIMES`). The same ``params``, ``seed`` and ``regime`` give byte-identical files.
    """
    outdir = Path(outdir)
    p = _params(params, regime)
    streams = ["network", "programs", "genes", "microarray", "rnaseq", "genome", "gwas", "external"]
    rng = dict(zip(streams, np.random.default_rng(seed).spawn(len(streams)), strict=True))
    n_genes, n_programs = p["n_genes"], p["n_communities"]
    width = max(5, len(str(n_genes)))
    symbols = [f"SG{i + 1:0{width}d}" for i in range(n_genes)]

    community = _communities(rng["network"], p)
    edges = _network(rng["network"], p, community)
    programs_on = _cell_type_programs(rng["programs"], p)
    # Diseases of the external dataset get modules, effects, GWAS SNPs and compendium studies, so that
    # the compendium spans their signal; the ground truth lists them under "external".
    planted = {**p, "diseases": p["diseases"] + p["external_diseases"]}
    modules, module_edges = _plant_modules(rng["network"], planted, community, edges, programs_on)
    edges = _merge_edges([edges, module_edges], n_genes)
    genes = _gene_model(rng["genes"], planted, symbols, community, modules)

    microarray = _arm(rng["microarray"], planted, p["n_microarray_samples"], 0, programs_on)
    microarray.design["name"] = [f"GSM{1_000_001 + i}" for i in range(len(microarray.design))]
    study_width = max(3, len(str(microarray.batch.shape[0])))
    microarray.design["study_id"] = [
        f"STUDY{t + 1:0{study_width}d}" for t in microarray.design["study"]
    ]
    _write_matrix(outdir / MATRIX_FILE, genes, microarray, rng["microarray"])
    _write_sdrf(outdir / SDRF_FILE, microarray.design)

    rnaseq = _arm(
        rng["rnaseq"], planted, p["n_rnaseq_samples"], p["n_single_cell_samples"], programs_on
    )
    rnaseq.design["name"] = [f"GSM{5_000_001 + i}" for i in range(len(rnaseq.design))]
    rnaseq.design["study_id"] = [f"GSE{100_001 + t}" for t in rnaseq.design["study"]]
    _write_archs4(outdir / ARCHS4_FILE, genes, rnaseq, p, rng["rnaseq"])

    _write_string(outdir, p, symbols, edges, rng["network"])
    body = _write_refgene(outdir / REFGENE_FILE, p, symbols, rng["genome"])
    gwas_genes, decoy_genes = _write_gwas(outdir, planted, symbols, modules, body, rng["gwas"])
    external = _external_arm(rng["external"], planted, programs_on)
    _write_external(outdir, genes, external, p, rng["external"])

    truth = {
        "seed": seed,
        "regime": regime,
        "params": p,
        "genes": symbols,
        "communities": {
            _program_id(k, n_programs): [symbols[g] for g in np.flatnonzero(community == k)]
            for k in range(n_programs)
        },
        "cell_types": {
            label: {"programs": [_program_id(k, n_programs) for k in np.flatnonzero(on)]}
            for label, on in zip(p["cell_types"], programs_on, strict=True)
        },
        "diseases": {
            disease_id: {
                "label": DISEASES[disease_id]["label"],
                "cell_type": DISEASES[disease_id]["cell_type"],
                "module_genes": [symbols[g] for g in modules[disease_id]],
                "gwas_genes": [symbols[g] for g in gwas_genes[disease_id]],
                "decoy_genes": [symbols[g] for g in decoy_genes[disease_id]],
                "disgenet_id": DISEASES[disease_id]["disgenet_id"],
                "efo_uri": EFO_PREFIX + DISEASES[disease_id]["efo_id"],
                "trait": DISEASES[disease_id]["trait"],
            }
            for disease_id in p["diseases"]
        },
        "external": {
            disease_id: {
                "label": DISEASES[disease_id]["label"],
                "groups": external.design["disease"].value_counts().to_dict(),
                "module_genes": [symbols[g] for g in modules[disease_id]],
                "gwas_genes": [symbols[g] for g in gwas_genes[disease_id]],
                "decoy_genes": [symbols[g] for g in decoy_genes[disease_id]],
                "disgenet_id": DISEASES[disease_id]["disgenet_id"],
                "efo_uri": EFO_PREFIX + DISEASES[disease_id]["efo_id"],
            }
            for disease_id in p["external_diseases"]
        },
        "xor_genes": [symbols[g] for g in np.flatnonzero(genes.partner >= 0)],
    }
    (outdir / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=1) + "\n")
    return truth


def _params(params: dict, regime: str) -> dict:
    """Merge the regime's parameters and then ``params`` into the defaults; check that the design fits."""
    if regime not in REGIMES:
        raise InputError("regime", f"unknown regime {regime!r}", f"use one of {list(REGIMES)}")
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise InputError(
            "params", f"unknown keys {', '.join(unknown)}", "use keys of DEFAULT_PARAMS"
        )
    p = json.loads(json.dumps({**DEFAULT_PARAMS, **REGIMES[regime], **params}))
    share = p["disease_case_share"]
    if share is not None:
        if not 0 < share <= 1:
            raise InputError(
                "params", f"disease_case_share {share} is not in (0, 1]", "use e.g. 0.01"
            )
        arm = min(p["n_microarray_samples"], p["n_rnaseq_samples"])
        p["cases_per_study"] = max(1, int(share * arm / p["n_studies_per_disease"]))
    if p["disease_effect"] not in ("genes", "programs"):
        raise InputError(
            "params", f"unknown disease_effect {p['disease_effect']!r}", "use genes or programs"
        )
    if p["n_communities"] * p["community_size"] > p["n_genes"]:
        raise InputError(
            "params", "communities hold more genes than n_genes", "lower n_communities × size"
        )
    if p["n_free_programs"] + p["programs_per_cell_type"] > p["n_communities"]:
        raise InputError(
            "params",
            "n_free_programs + programs_per_cell_type exceeds n_communities",
            "lower them or add communities",
        )
    for disease_id in p["diseases"] + p["external_diseases"]:
        if disease_id not in DISEASES:
            raise InputError("params", f"unknown disease {disease_id!r}", f"use {list(DISEASES)}")
        if DISEASES[disease_id]["cell_type"] not in p["cell_types"]:
            raise InputError(
                "params",
                f"{disease_id} needs cell type {DISEASES[disease_id]['cell_type']!r}",
                "add it to cell_types",
            )
    per_arm = len(p["diseases"] + p["external_diseases"]) * p["n_studies_per_disease"]
    per_arm *= p["cases_per_study"] + p["controls_per_study"]
    if per_arm > min(p["n_microarray_samples"], p["n_rnaseq_samples"]):
        raise InputError(
            "params",
            f"disease studies need {per_arm} samples per platform",
            "raise n_microarray_samples and n_rnaseq_samples or shrink the disease studies",
        )
    return p


def _program_id(k: int, n_programs: int) -> str:
    return f"P{k + 1:0{max(2, len(str(n_programs)))}d}"


def _communities(rng: np.random.Generator, p: dict) -> np.ndarray:
    """Community (program) of each gene, -1 for background genes; members scattered over genes."""
    community = np.full(p["n_genes"], -1)
    members = rng.permutation(p["n_genes"])[: p["n_communities"] * p["community_size"]]
    community[members] = np.repeat(np.arange(p["n_communities"]), p["community_size"])
    return community


def _scores(rng: np.random.Generator, n: int, score_range: list[int]) -> np.ndarray:
    return rng.integers(score_range[0], score_range[1] + 1, size=n)


def _high_scores(rng: np.random.Generator, p: dict, n: int) -> np.ndarray:
    """Scores of community edges: mostly high confidence, a fraction medium (400–699)."""
    scores = _scores(rng, n, p["high_score_range"])
    medium = rng.random(n) < p["low_high_score_fraction"]
    scores[medium] = _scores(rng, int(medium.sum()), [400, 699])
    return scores


def _merge_edges(parts: list[np.ndarray], n_genes: int) -> np.ndarray:
    """Union of undirected edge lists (rows ``i, j, score``); a repeated pair keeps its top score."""
    edges = np.concatenate(parts)
    low, high = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
    keep = low != high
    edges = np.column_stack([low, high, edges[:, 2]])[keep]
    order = np.lexsort((-edges[:, 2], edges[:, 0] * n_genes + edges[:, 1]))
    edges = edges[order]
    _, first = np.unique(edges[:, 0] * n_genes + edges[:, 1], return_index=True)
    return edges[first]


def _network(rng: np.random.Generator, p: dict, community: np.ndarray) -> np.ndarray:
    """Gene interaction edges: dense within communities, sparse random background."""
    parts = []
    for k in range(p["n_communities"]):
        members = np.flatnonzero(community == k)
        i, j = np.triu_indices(len(members), 1)
        linked = rng.random(len(i)) < p["p_in"]
        pairs = np.column_stack([members[i[linked]], members[j[linked]]])
        parts.append(np.column_stack([pairs, _high_scores(rng, p, len(pairs))]))
    n_within = sum(len(part) for part in parts)
    n_background = max(0, round(p["mean_degree"] * p["n_genes"] / 2) - n_within)
    pairs = rng.integers(p["n_genes"], size=(n_background, 2))
    parts.append(np.column_stack([pairs, _scores(rng, n_background, p["noise_score_range"])]))
    return _merge_edges(parts, p["n_genes"])


def _cell_type_programs(rng: np.random.Generator, p: dict) -> np.ndarray:
    """Boolean cell types × programs: the programs each cell type switches on (never free ones)."""
    n_fixed = p["n_communities"] - p["n_free_programs"]
    on = np.zeros((len(p["cell_types"]), p["n_communities"]), dtype=bool)
    for row in on:
        row[rng.choice(n_fixed, p["programs_per_cell_type"], replace=False)] = True
    return on


def _plant_modules(
    rng: np.random.Generator,
    p: dict,
    community: np.ndarray,
    edges: np.ndarray,
    programs_on: np.ndarray,
) -> tuple[dict[str, list[int]], np.ndarray]:
    """Grow one connected, disjoint module per planted disease and densify it.

    With ``disease_effect: programs`` the module is the community of a program that the disease's
    cell type switches off and another cell type on, a different one for each disease.
    Returns the module genes per disease (empty for negative controls) and the module edges
    (the breadth-first tree, if any, plus the densifying edges, all high-confidence).
    """
    n_genes = p["n_genes"]
    adjacency = sparse.coo_matrix(
        (
            np.ones(2 * len(edges)),
            (np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]]),
        ),
        shape=(n_genes, n_genes),
    ).tocsr()
    taken: set[int] = set()
    modules: dict[str, list[int]] = {}
    module_edges = [np.zeros((0, 3), dtype=edges.dtype)]
    for disease_id in p["diseases"]:
        if disease_id in NEGATIVE_CONTROLS:
            modules[disease_id] = []
            continue
        cell = p["cell_types"].index(DISEASES[disease_id]["cell_type"])
        if p["disease_effect"] == "programs":
            genes, tree = _program_module(rng, p, community, programs_on, cell, taken, disease_id)
        else:
            on = programs_on[cell]
            genes, tree = _grown_module(rng, p, community, adjacency, on, taken, disease_id)
        taken.update(genes)
        modules[disease_id] = genes
        members = np.array(genes)
        i, j = np.triu_indices(len(members), 1)
        linked = rng.random(len(i)) < p["module_p_densify"]
        pairs = np.vstack([tree, np.column_stack([members[i[linked]], members[j[linked]]])])
        module_edges.append(
            np.column_stack([pairs, _scores(rng, len(pairs), p["high_score_range"])])
        )
    return modules, np.concatenate(module_edges)


def _grown_module(
    rng: np.random.Generator,
    p: dict,
    community: np.ndarray,
    adjacency: sparse.csr_matrix,
    on: np.ndarray,
    taken: set[int],
    disease_id: str,
) -> tuple[list[int], np.ndarray]:
    """A module grown breadth-first from a gene of a program that is on in the cell type."""
    candidates = np.flatnonzero(np.isin(community, np.flatnonzero(on)))
    for seed_gene in rng.permutation(candidates):
        if int(seed_gene) in taken:
            continue
        grown = _breadth_first(rng, adjacency, int(seed_gene), p["module_size"], taken)
        if grown is not None:
            return grown
    raise InputError(
        "params",
        f"no connected module of {p['module_size']} genes could be grown for {disease_id}",
        "lower module_size or raise mean_degree",
    )


def _program_module(
    rng: np.random.Generator,
    p: dict,
    community: np.ndarray,
    programs_on: np.ndarray,
    cell: int,
    taken: set[int],
    disease_id: str,
) -> tuple[list[int], np.ndarray]:
    """The community of a program off in the cell type, not yet taken, that varies the most.

    Candidates are the fixed programs that the cell type switches off; of those, one that the most
    other cell types switch on (at least one) is drawn.
    """
    n_fixed = p["n_communities"] - p["n_free_programs"]
    n_on = programs_on.sum(axis=0)
    candidates = [
        k
        for k in range(n_fixed)
        if not programs_on[cell, k]
        and n_on[k] > 0
        and not taken.intersection(np.flatnonzero(community == k).tolist())
    ]
    candidates = [k for k in candidates if n_on[k] == max(n_on[candidates], default=0)]
    if not candidates:
        raise InputError(
            "params",
            f"no program is left to carry {disease_id}",
            "raise n_communities or use disease_effect: genes",
        )
    program = int(rng.choice(candidates))
    return np.flatnonzero(community == program).tolist(), np.zeros((0, 2), dtype=np.int64)


def _breadth_first(
    rng: np.random.Generator, adjacency: sparse.csr_matrix, seed: int, size: int, taken: set[int]
) -> tuple[list[int], np.ndarray] | None:
    """Visit ``size`` genes breadth-first from ``seed`` avoiding ``taken``; None if it runs out."""
    visited, tree, queue = [seed], [], deque([seed])
    seen = {seed}
    while queue and len(visited) < size:
        node = queue.popleft()
        neighbours = adjacency.indices[adjacency.indptr[node] : adjacency.indptr[node + 1]]
        for neighbour in rng.permutation(neighbours).tolist():
            if neighbour in seen or neighbour in taken:
                continue
            seen.add(neighbour)
            visited.append(neighbour)
            tree.append((node, neighbour))
            queue.append(neighbour)
            if len(visited) == size:
                break
    if len(visited) < size:
        return None
    return visited, np.array(tree, dtype=np.int64).reshape(-1, 2)


def _gene_model(
    rng: np.random.Generator,
    p: dict,
    symbols: list[str],
    community: np.ndarray,
    modules: dict[str, list[int]],
) -> GeneModel:
    """Draw b_g, A_g, σ_g, k(g), l(g) and the disease effects δ_dg (or program shifts)."""
    n_genes, n_programs = p["n_genes"], p["n_communities"]
    background = community < 0
    program = np.where(background, rng.integers(n_programs, size=n_genes), community)
    amplitude = rng.uniform(*p["amplitude_range"], size=n_genes)
    amplitude[background] *= p["background_loading"]
    partner = np.full(n_genes, -1)
    members = np.flatnonzero(~background)
    xor = rng.choice(members, round(p["xor_fraction"] * len(members)), replace=False)
    partner[xor] = (program[xor] + rng.integers(1, n_programs, size=len(xor))) % n_programs
    base = rng.uniform(*p["base_range"], size=n_genes)
    sigma = rng.uniform(*p["sigma_range"], size=n_genes)

    low, high = p["log2_range"]
    effect = np.zeros((len(p["diseases"]), n_genes))
    shift = np.zeros((len(p["diseases"]), n_programs))
    for d, disease_id in enumerate(p["diseases"]):
        genes = np.array(modules[disease_id], dtype=np.int64)
        if p["disease_effect"] == "programs":
            shift[d, program[genes[:1]]] = p["program_shift"]
            continue
        size = (
            p["effect_amplitude_factor"] * amplitude[genes]
            + p["effect_noise_factor"] * sigma[genes]
        )
        down = rng.random(len(genes)) < p["down_fraction"]
        effect[d, genes] = np.where(down, -size, size)
        floor = low + 3 * sigma[genes] + np.where(down, size, 0)
        ceiling = high - amplitude[genes] - 3 * sigma[genes] - np.where(down, 0, size)
        base[genes] = np.minimum(np.maximum(base[genes], floor), ceiling)
    return GeneModel(
        symbols=symbols,
        program=program,
        partner=partner,
        base=base.astype(np.float32),
        amplitude=amplitude.astype(np.float32),
        sigma=sigma.astype(np.float32),
        effect=effect.astype(np.float32),
        shift=shift.astype(np.float32),
    )


def _arm(
    rng: np.random.Generator, p: dict, n_samples: int, n_single_cell: int, programs_on: np.ndarray
) -> Arm:
    """Lay out the studies of one platform and draw program activities, severities and batches.

    Each disease has ``n_studies_per_disease`` studies of its cell type with cases and ``normal``
    controls; healthy studies of random cell types fill up to ``n_samples``; ``n_single_cell``
    extra samples form one study flagged as single-cell. Study order is shuffled.
    """
    studies = []  # (cell type, disease id or "", cases, controls, single cell)
    for disease_id in p["diseases"]:
        for _ in range(p["n_studies_per_disease"]):
            studies.append(
                (
                    DISEASES[disease_id]["cell_type"],
                    disease_id,
                    p["cases_per_study"],
                    p["controls_per_study"],
                    False,
                )
            )
    n_healthy = n_samples - sum(study[2] + study[3] for study in studies)
    size = p["healthy_study_size"]
    for n in [size] * (n_healthy // size) + [n_healthy % size] * (n_healthy % size > 0):
        studies.append((p["cell_types"][rng.integers(len(p["cell_types"]))], "", 0, n, False))
    if n_single_cell:
        cell_type = p["cell_types"][rng.integers(len(p["cell_types"]))]
        studies.append((cell_type, "", 0, n_single_cell, True))

    rows = []
    for number, index in enumerate(rng.permutation(len(studies))):
        cell_type, disease_id, n_cases, n_controls, single_cell = studies[index]
        rows += [(number, cell_type, disease_id, True, single_cell)] * n_cases
        rows += [(number, cell_type, disease_id, False, single_cell)] * n_controls
    design = pd.DataFrame(rows, columns=["study", "cell_type", "disease_id", "case", "single_cell"])
    design["disease"] = [
        DISEASES[d]["label"] if case else "normal"
        for d, case in zip(design["disease_id"], design["case"], strict=True)
    ]

    n, n_programs = len(design), p["n_communities"]
    activity = _program_activity(rng, p, programs_on, design["cell_type"])
    activity[:, n_programs - p["n_free_programs"] :] = rng.random((n, p["n_free_programs"]))
    severity = np.zeros((n, len(p["diseases"])), dtype=np.float32)
    for d, disease_id in enumerate(p["diseases"]):
        cases = np.flatnonzero(
            design["case"].to_numpy() & (design["disease_id"] == disease_id).to_numpy()
        )
        severity[cases, d] = rng.uniform(*p["severity_range"], size=len(cases))
    batch = rng.normal(0, p["batch_sd"], size=(len(studies), p["n_genes"])).astype(np.float32)
    return Arm(design=design, activity=activity.astype(np.float32), severity=severity, batch=batch)


def _program_activity(
    rng: np.random.Generator, p: dict, programs_on: np.ndarray, cell_types: pd.Series
) -> np.ndarray:
    """a_sk ~ Beta(on_beta) for the programs the sample's cell type switches on, else Beta(off_beta)."""
    on = programs_on[cell_types.map(p["cell_types"].index).to_numpy()]
    size = (len(cell_types), p["n_communities"])
    return np.where(on, rng.beta(*p["on_beta"], size=size), rng.beta(*p["off_beta"], size=size))


def _external_arm(rng: np.random.Generator, p: dict, programs_on: np.ndarray) -> Arm:
    """One external study per external disease: cases, another disease group, healthy controls.

    The other disease group carries a weak share of the disease's effect (severity
    ``external_other_severity``), like other neurological diseases against multiple sclerosis.
    """
    rows = []
    for study, disease_id in enumerate(p["external_diseases"]):
        cell_type, label = DISEASES[disease_id]["cell_type"], DISEASES[disease_id]["label"]
        rows += [(study, cell_type, disease_id, True, label)] * p["external_cases"]
        rows += [(study, cell_type, disease_id, False, "other disease")] * p[
            "external_other_disease"
        ]
        rows += [(study, cell_type, disease_id, False, "normal")] * p["external_controls"]
    design = pd.DataFrame(rows, columns=["study", "cell_type", "disease_id", "case", "disease"])
    design["name"] = [f"EXT{i + 1:04d}" for i in range(len(design))]
    n = len(design)
    activity = _program_activity(rng, p, programs_on, design["cell_type"])
    severity = np.zeros((n, len(p["diseases"])), dtype=np.float32)
    for disease_id in p["external_diseases"]:
        column = p["diseases"].index(disease_id)
        mine = (design["disease_id"] == disease_id).to_numpy()
        cases, other = (
            mine & design["case"].to_numpy(),
            mine & (design["disease"] == "other disease"),
        )
        severity[cases, column] = rng.uniform(*p["severity_range"], size=int(cases.sum()))
        severity[other, column] = rng.uniform(*p["external_other_severity"], size=int(other.sum()))
    batch = rng.normal(0, p["batch_sd"], size=(len(p["external_diseases"]), p["n_genes"]))
    return Arm(design, activity.astype(np.float32), severity, batch.astype(np.float32))


def _write_external(
    outdir: Path, genes: GeneModel, arm: Arm, p: dict, rng: np.random.Generator
) -> None:
    """The external dataset: a processed-matrix-style text file and a sample sheet (sample, group).

    A fraction ``external_missing_fraction`` of the genes is left out, as on another platform.
    """
    values = _log_expression(genes, arm, slice(None), slice(None), rng)
    keep = np.sort(
        rng.permutation(len(genes.symbols))[
            round(p["external_missing_fraction"] * len(genes.symbols)) :
        ]
    )
    table = pd.DataFrame(
        values[:, keep].T,
        index=pd.Index(np.asarray(genes.symbols)[keep], name="Hybridization REF"),
        columns=arm.design["name"],
    )
    (outdir / EXTERNAL_MATRIX_FILE).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(outdir / EXTERNAL_MATRIX_FILE, sep="\t", float_format="%.4f")
    sheet = pd.DataFrame({"sample": arm.design["name"], "group": arm.design["disease"]})
    sheet.to_csv(outdir / EXTERNAL_SAMPLES_FILE, sep="\t", index=False)


def _log_expression(
    genes: GeneModel, arm: Arm, rows: slice, cols: slice, rng: np.random.Generator
) -> np.ndarray:
    """E_sg for a block of samples (rows) and genes (cols), float32."""
    activity = np.minimum(arm.activity[rows] + arm.severity[rows] @ genes.shift, 1)
    f = activity[:, genes.program[cols]]
    partner = genes.partner[cols]
    xor = np.flatnonzero(partner >= 0)
    a_k, a_l = f[:, xor], activity[:, partner[xor]]
    f[:, xor] = a_k + a_l - 2 * a_k * a_l
    noise = rng.standard_normal(f.shape, dtype=np.float32) * genes.sigma[cols]
    batch = arm.batch[:, cols][arm.design["study"].to_numpy()[rows]]
    disease = arm.severity[rows] @ genes.effect[:, cols]
    return genes.base[cols] + genes.amplitude[cols] * f + batch + noise + disease


def _blocks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


@contextmanager
def _gzip_text(path: Path) -> Iterator[TextIO]:
    """A text stream into a reproducible gzip file (no name, mtime 0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8", newline="\n") as text,
    ):
        yield text


def _write_matrix(path: Path, genes: GeneModel, arm: Arm, rng: np.random.Generator) -> None:
    """The processed matrix (genes as rows, 4 decimals), streamed gene block by gene block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = arm.design["name"].tolist()
    row_format = "\t".join(["%.4f"] * len(names))
    member = zipfile.ZipInfo(MATRIX_MEMBER, date_time=ZIP_DATE)
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o644 << 16
    with (
        zipfile.ZipFile(path, "w") as archive,
        archive.open(member, "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text,
    ):
        text.write("Hybridization REF\t" + "\t".join(names) + "\n")
        for cols in _blocks(len(genes.symbols), max(1, BLOCK_VALUES // len(names))):
            values = _log_expression(genes, arm, slice(None), cols, rng)
            for symbol, column in zip(genes.symbols[cols], values.T, strict=True):
                text.write(f"{symbol}\t{row_format % tuple(column.tolist())}\n")


def _write_sdrf(path: Path, design: pd.DataFrame) -> None:
    """The SDRF: one row per hybridization, in matrix column order."""
    number = design.groupby("study").cumcount() + 1
    sdrf = pd.DataFrame(
        {
            "Source Name": design["study_id"] + " sample " + number.astype(str),
            "Characteristics[organism]": "Homo sapiens",
            "Characteristics[organism part]": design["cell_type"],
            "Characteristics[cell type]": design["cell_type"],
            "Characteristics[disease]": design["disease"],
            "Characteristics[study]": design["study_id"],
            "Assay Name": design["name"],
            "Array Design REF": "A-AFFY-44",
            "Derived Array Data Matrix File": MATRIX_MEMBER,
        },
        columns=SDRF_COLUMNS,
    )
    sdrf.to_csv(path, sep="\t", index=False, lineterminator="\n")


def _write_archs4(
    path: Path, genes: GeneModel, arm: Arm, p: dict, rng: np.random.Generator
) -> None:
    """The ARCHS4-style HDF5: Poisson counts (genes × samples) streamed sample block by block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    design = arm.design
    n_samples, n_genes = len(design), len(genes.symbols)
    low, high = np.log(p["library_size_range"])
    library = np.exp(rng.uniform(low, high, size=n_samples))
    single_cell = design["single_cell"].to_numpy()
    probability = np.where(
        single_cell, rng.uniform(0.5, 1.0, n_samples), rng.uniform(0.0, 0.3, n_samples)
    )
    number = design.groupby("study").cumcount() + 1
    meta = {
        "geo_accession": design["name"],
        "series_id": design["study_id"],
        "characteristics_ch1": "cell type: "
        + design["cell_type"]
        + ",disease: "
        + design["disease"],
        "source_name_ch1": design["cell_type"],
        "title": design["cell_type"] + " " + design["disease"] + " rep" + number.astype(str),
    }
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as h5:
        expression = h5.create_dataset(
            "data/expression",
            shape=(n_genes, n_samples),
            dtype=np.uint32,
            chunks=(min(n_genes, 2048), min(n_samples, 64)),
            compression="gzip",
        )
        for rows in _blocks(n_samples, max(1, BLOCK_VALUES // n_genes)):
            log_values = _log_expression(genes, arm, rows, slice(None), rng).astype(np.float64)
            weights = np.exp2(log_values - log_values.max(axis=1, keepdims=True))
            rate = library[rows, None] * weights / weights.sum(axis=1, keepdims=True)
            expression[:, rows] = rng.poisson(rate).astype(np.uint32).T
        h5.create_dataset("meta/genes/symbol", data=genes.symbols, dtype=strings)
        for field, values in meta.items():
            h5.create_dataset(f"meta/samples/{field}", data=values.tolist(), dtype=strings)
        h5.create_dataset("meta/samples/singlecellprobability", data=probability)


def _protein_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    numbers = rng.choice(10 * n + 1000, size=n, replace=False) + 1
    return np.array([f"9606.ENSP{number:011d}" for number in numbers])


def _write_string(
    outdir: Path, p: dict, symbols: list[str], edges: np.ndarray, rng: np.random.Generator
) -> None:
    """STRING links and protein info.

    Each gene has one protein, some two (each edge end goes to one of them at random); a few
    extra proteins carry symbols absent from the expression data and only noise edges.
    """
    n_genes = len(symbols)
    second = np.flatnonzero(rng.random(n_genes) < p["two_protein_fraction"])
    n_unmatched = round(p["unmatched_protein_fraction"] * n_genes)
    n_proteins = n_genes + len(second) + n_unmatched
    ids = _protein_ids(rng, n_proteins)
    names = (
        symbols + [symbols[g] for g in second] + [f"LOC{100_001 + i}" for i in range(n_unmatched)]
    )

    other = np.full(n_genes, -1)
    other[second] = n_genes + np.arange(len(second))
    ends = edges[:, :2].copy()
    swap = (other[ends] >= 0) & (rng.random(ends.shape) < 0.5)
    ends[swap] = other[ends[swap]]
    unmatched = n_genes + len(second) + np.repeat(np.arange(n_unmatched), 3)
    noise = np.column_stack(
        [
            unmatched,
            rng.integers(n_genes, size=len(unmatched)),
            _scores(rng, len(unmatched), p["noise_score_range"]),
        ]
    )
    links = _merge_edges([np.column_stack([ends, edges[:, 2]]), noise], n_proteins)
    both = np.vstack([links, links[:, [1, 0, 2]]])
    both = both[np.lexsort((ids[both[:, 1]], ids[both[:, 0]]))]
    with _gzip_text(outdir / STRING_LINKS_FILE) as text:
        text.write("protein1 protein2 combined_score\n")
        text.writelines(f"{ids[a]} {ids[b]} {score}\n" for a, b, score in both.tolist())

    sizes = rng.integers(80, 3000, size=n_proteins)
    with _gzip_text(outdir / STRING_INFO_FILE) as text:
        text.write("#string_protein_id\tpreferred_name\tprotein_size\tannotation\n")
        for i in np.argsort(ids):
            text.write(f"{ids[i]}\t{names[i]}\t{sizes[i]}\t{names[i]} protein; function unknown.\n")


def ucsc_bin(start: int, end: int) -> int:
    """The UCSC bin of a 0-based half-open interval (standard scheme, extended beyond 512 Mb)."""
    if end <= 1 << 29:
        offsets, extended = (585, 73, 9, 1, 0), 0
    else:
        offsets, extended = (4681, 585, 73, 9, 1, 0), 4681
    start_bin, end_bin = start >> 17, (end - 1) >> 17
    for offset in offsets:
        if start_bin == end_bin:
            return extended + offset + start_bin
        start_bin, end_bin = start_bin >> 3, end_bin >> 3
    raise ValueError(f"interval {start}-{end} is beyond the binning range")


def _exon_frames(
    starts: list[int], ends: list[int], cds_start: int, cds_end: int, strand: str
) -> list[int]:
    """genePred exonFrames: reading frame at each coding exon's 5' end, -1 for non-coding exons."""
    frames = [-1] * len(starts)
    coding = 0
    order = range(len(starts)) if strand == "+" else reversed(range(len(starts)))
    for i in order:
        low, high = max(starts[i], cds_start), min(ends[i], cds_end)
        if low < high:
            frames[i] = coding % 3
            coding += high - low
    return frames


def _transcript(
    rng: np.random.Generator, p: dict, start: int, end: int, strand: str
) -> tuple[list[int], list[int], int, int]:
    """Exons (starts, ends) spanning [start, end) and a CDS from the first to the last exon."""
    n_exons = int(rng.integers(p["exon_count_range"][0], p["exon_count_range"][1] + 1))
    cuts = np.sort(rng.choice(end - start - 1, 2 * (n_exons - 1), replace=False)) + start + 1
    starts = [start, *cuts[1::2].tolist()]
    ends = [*cuts[0::2].tolist(), end]
    cds_start = starts[0] + int(rng.integers(0, ends[0] - starts[0]))
    cds_end = starts[-1] + int(rng.integers(1, ends[-1] - starts[-1] + 1))
    return starts, ends, cds_start, cds_end


def _write_refgene(
    path: Path, p: dict, symbols: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Place genes on the simulated genome and write refGene; return each gene's body.

    The body (``chrom``, 0-based ``start``, ``end``) spans all transcripts of the gene.
    """
    n_genes = len(symbols)
    chromosomes = list(CHROMOSOME_MB)
    weights = np.array(list(CHROMOSOME_MB.values()), dtype=float)
    counts = rng.multinomial(n_genes, weights / weights.sum())
    low, high = p["gene_length_range"]
    if p["gene_length_log_sd"] is None:
        lengths = rng.integers(low, high + 1, size=n_genes)
    else:
        log_lengths = rng.normal(np.log(low * high) / 2, p["gene_length_log_sd"], size=n_genes)
        lengths = np.clip(np.exp(log_lengths), low, high).astype(np.int64)
    gaps = p["gene_spacing_min"] + rng.integers(0, p["gene_spacing_jitter"] + 1, size=n_genes)
    order = rng.permutation(n_genes)
    chrom = np.empty(n_genes, dtype=object)
    start = np.empty(n_genes, dtype=np.int64)
    first = 0
    for chromosome, count in zip(chromosomes, counts, strict=True):
        genes = order[first : first + count]
        first += count
        chrom[genes] = chromosome
        start[genes] = np.cumsum(gaps[genes]) + np.cumsum(lengths[genes]) - lengths[genes]
    end = start + lengths
    strand = np.where(rng.random(n_genes) < 0.5, "+", "-")

    rows = []
    for g in order.tolist():
        spans = [(int(start[g]), int(end[g]))]
        if rng.random() < p["two_transcript_fraction"]:
            trim = int(rng.integers(1, lengths[g] * 3 // 10))
            tx_start, tx_end = spans[0]
            spans.append(
                (tx_start + trim, tx_end) if rng.random() < 0.5 else (tx_start, tx_end - trim)
            )
        for tx_start, tx_end in spans:
            starts, ends, cds_start, cds_end = _transcript(rng, p, tx_start, tx_end, strand[g])
            frames = _exon_frames(starts, ends, cds_start, cds_end, strand[g])
            fields = [
                ucsc_bin(tx_start, tx_end),
                f"NM_{len(rows) + 1:06d}",
                f"chr{chrom[g]}",
                strand[g],
                tx_start,
                tx_end,
                cds_start,
                cds_end,
                len(starts),
                "".join(f"{s}," for s in starts),
                "".join(f"{e}," for e in ends),
                0,
                symbols[g],
                "cmpl",
                "cmpl",
                "".join(f"{f}," for f in frames),
            ]
            rows.append("\t".join(map(str, fields)) + "\n")
    body = pd.DataFrame({"chrom": chrom, "start": start, "end": end})
    with _gzip_text(path) as text:
        text.writelines(rows)
    return body


def _snp_near(rng: np.random.Generator, p: dict, body: pd.DataFrame, gene: int) -> tuple[str, int]:
    """A SNP (chromosome, 1-based position) inside the gene or within ``snp_flank`` bp of it."""
    start, end = int(body.at[gene, "start"]), int(body.at[gene, "end"])
    position = int(rng.integers(start + 1 - p["snp_flank"], end + p["snp_flank"] + 1))
    return str(body.at[gene, "chrom"]), position


def _write_gwas(
    outdir: Path,
    p: dict,
    symbols: list[str],
    modules: dict[str, list[int]],
    body: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Place disease SNPs and write them as DisGeNET and GWAS Catalog associations.

    Returns the GWAS genes (module genes with SNPs) and decoy genes of each disease.
    """
    in_modules = {g for genes in modules.values() for g in genes}
    outside = np.array([g for g in range(len(symbols)) if g not in in_modules])
    snps = []  # (disease id, chromosome, 1-based position or -1, gene or -1)
    gwas_genes, decoy_genes = {}, {}
    for disease_id in p["diseases"]:
        module = np.array(modules[disease_id], dtype=np.int64)
        gwas = rng.choice(module, round(p["gwas_fraction"] * len(module)), replace=False)
        decoys = rng.choice(outside, p["n_decoy_genes"], replace=False)
        gwas_genes[disease_id] = sorted(gwas.tolist())
        decoy_genes[disease_id] = sorted(decoys.tolist())
        for gene in gwas.tolist():
            for _ in range(int(rng.integers(1, p["max_snps_per_gene"] + 1))):
                snps.append((disease_id, *_snp_near(rng, p, body, gene), gene))
        for gene in decoys.tolist():
            snps.append((disease_id, *_snp_near(rng, p, body, gene), gene))
        for _ in range(p["n_chry_snps"]):
            snps.append((disease_id, "Y", int(rng.integers(1, CHRY_LENGTH + 1)), -1))
        snps += [(disease_id, "", -1, -1)] * p["n_unplaced_snps"]
    table = pd.DataFrame(snps, columns=["disease_id", "chrom", "position", "gene"])
    n_haplotype = p["n_haplotype_rows"] * len(p["diseases"])
    rs_numbers = rng.choice(200_000_000, len(table) + 2 * n_haplotype, replace=False) + 1000
    table["rs"] = rs_numbers[: len(table)]
    table["pvalue_exponent"] = rng.integers(8, 30, size=len(table))
    table["pvalue_mantissa"] = rng.integers(1, 10, size=len(table))
    table["inside"] = [
        gene >= 0 and int(body.at[gene, "start"]) < position <= int(body.at[gene, "end"])
        for gene, position in zip(table["gene"], table["position"], strict=True)
    ]

    _write_disgenet(outdir / DISGENET_FILE, table, rng)
    haplotypes = rs_numbers[len(table) :].reshape(-1, 2)
    _write_gwas_catalog(outdir / GWAS_CATALOG_FILE, p, symbols, table, haplotypes, rng)
    return gwas_genes, decoy_genes


def _write_disgenet(path: Path, table: pd.DataFrame, rng: np.random.Generator) -> None:
    """DisGeNET curated variant–disease associations (gzip, tab-separated)."""
    disease = table["disease_id"].map(DISEASES)
    year = rng.integers(2008, 2020, size=len(table))
    disgenet = pd.DataFrame(
        {
            "snpId": "rs" + table["rs"].astype(str),
            "chromosome": table["chrom"],
            "position": [str(x) if x > 0 else "" for x in table["position"]],
            "DSI": np.round(rng.uniform(0.3, 1.0, len(table)), 3),
            "DPI": np.round(rng.uniform(0.1, 1.0, len(table)), 3),
            "diseaseId": [d["disgenet_id"] for d in disease],
            "diseaseName": [d["disgenet_name"] for d in disease],
            "diseaseType": "disease",
            "diseaseClass": [d["disgenet_class"] for d in disease],
            "diseaseSemanticType": [d["semantic_type"] for d in disease],
            "score": 0.7,
            "EI": 1.0,
            "YearInitial": year,
            "YearFinal": year,
            "NofPmids": 1,
            "source": "GWASCAT",
        },
        columns=DISGENET_COLUMNS,
    )
    with _gzip_text(path) as text:
        disgenet.to_csv(text, sep="\t", index=False, lineterminator="\n")


def _write_gwas_catalog(
    path: Path,
    p: dict,
    symbols: list[str],
    table: pd.DataFrame,
    haplotypes: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """GWAS Catalog associations (v1.0.2 column set), one study per disease, plus messy rows."""
    study_number = {disease_id: i for i, disease_id in enumerate(p["diseases"])}
    rows = []
    for record in table.itertuples(index=False):
        gene = symbols[record.gene] if record.gene >= 0 else ""
        pvalue = record.pvalue_mantissa * 10.0 ** (-record.pvalue_exponent)
        rows.append(
            {
                "CHR_ID": record.chrom,
                "CHR_POS": str(record.position) if record.position > 0 else "",
                "REPORTED GENE(S)": gene or "NR",
                "MAPPED_GENE": gene,
                "SNP_GENE_IDS": f"ENSG{100_000_000 + record.gene:011d}" if gene else "",
                "STRONGEST SNP-RISK ALLELE": f"rs{record.rs}-{'ACGT'[record.rs % 4]}",
                "SNPS": f"rs{record.rs}",
                "SNP_ID_CURRENT": str(record.rs),
                "CONTEXT": "intron_variant" if record.inside else "intergenic_variant",
                "INTERGENIC": "0" if record.inside else "1",
                "P-VALUE": f"{record.pvalue_mantissa}E-{record.pvalue_exponent}",
                "PVALUE_MLOG": f"{-np.log10(pvalue):.12g}",
                **_catalog_study(record.disease_id, study_number[record.disease_id]),
            }
        )
    for h, (first, second) in enumerate(haplotypes.tolist()):
        disease_id = p["diseases"][h % len(p["diseases"])]
        rows.append(
            {
                "CHR_ID": "",
                "CHR_POS": "",
                "REPORTED GENE(S)": "NR",
                "MAPPED_GENE": "",
                "STRONGEST SNP-RISK ALLELE": f"rs{first}-A; rs{second}-G",
                "SNPS": f"rs{first} x rs{second}",
                "P-VALUE": "2E-8",
                "PVALUE_MLOG": f"{-np.log10(2e-8):.12g}",
                **_catalog_study(disease_id, study_number[disease_id]),
            }
        )
    catalog = pd.DataFrame(rows, columns=GWAS_CATALOG_COLUMNS)
    n = len(catalog)
    catalog["REPLICATION SAMPLE SIZE"] = "NA"
    catalog["UPSTREAM_GENE_ID"] = ""
    catalog["DOWNSTREAM_GENE_ID"] = ""
    catalog["UPSTREAM_GENE_DISTANCE"] = ""
    catalog["DOWNSTREAM_GENE_DISTANCE"] = ""
    catalog["MERGED"] = "0"
    catalog["RISK ALLELE FREQUENCY"] = [f"{x:.2f}" for x in rng.uniform(0.05, 0.95, n)]
    catalog["P-VALUE (TEXT)"] = ""
    odds = rng.uniform(1.05, 1.5, n)
    catalog["OR or BETA"] = [f"{x:.2f}" for x in odds]
    catalog["95% CI (TEXT)"] = [f"[{x - 0.04:.2f}-{x + 0.04:.2f}]" for x in odds]
    catalog["PLATFORM [SNPS PASSING QC]"] = "Illumina [2500000] (imputed)"
    catalog["CNV"] = "N"
    catalog["GENOTYPING TECHNOLOGY"] = "Genome-wide genotyping array"
    catalog = catalog.fillna("")
    catalog.to_csv(path, sep="\t", index=False, lineterminator="\n")


def _catalog_study(disease_id: str, number: int) -> dict[str, str]:
    """The study-level columns of a GWAS Catalog row for the disease's (one) study."""
    disease = DISEASES[disease_id]
    pubmed = str(20_000_001 + 7919 * number)
    return {
        "DATE ADDED TO CATALOG": "2019-05-13",
        "PUBMEDID": pubmed,
        "FIRST AUTHOR": f"Author{number + 1} A",
        "DATE": "2019-04-01",
        "JOURNAL": "Nat Genet",
        "LINK": f"www.ncbi.nlm.nih.gov/pubmed/{pubmed}",
        "STUDY": f"Genome-wide association study of {disease['trait']}.",
        "DISEASE/TRAIT": disease["catalog_trait"],
        "INITIAL SAMPLE SIZE": "12,000 European ancestry cases, 30,000 European ancestry controls",
        "REGION": "",
        "MAPPED_TRAIT": disease["trait"],
        "MAPPED_TRAIT_URI": EFO_PREFIX + disease["efo_id"],
        "STUDY ACCESSION": f"GCST{900_001 + number:06d}",
    }
