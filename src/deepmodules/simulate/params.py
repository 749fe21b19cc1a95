"""Parameters of the simulated compendium: diseases, cell types, the genome, the defaults, the paper-sized
set, the regimes, and their merge with the caller's overrides.
"""

from __future__ import annotations

import json

from deepmodules.errors import InputError

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
    # disease series in the ARCHS4 file (deepmodules.simulate.series): lists of disease ids, each a series
    "archs4_series": [],
    "series_cases": 15,
    "series_controls": 15,
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
    # genes: δ_dg on a module grown in the network; single_genes: δ_dg on scattered genes; programs:
    # a shift of a program's activity
    "disease_effect": "genes",
    "program_shift": 0.3,  # Δ, the case shift of the disease program's activity (programs mode)
    "disease_regimes": {},  # disease id -> regime applied to that disease only (see Regimes)
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

# A compendium of 300 genes that simulates in seconds: the test suite's, and the quick benchmarks'.
SMALL_PARAMS: dict = {
    "n_genes": 300,
    "n_communities": 8,
    "community_size": 20,
    "n_free_programs": 2,
    "programs_per_cell_type": 3,
    "module_size": 15,
    "n_microarray_samples": 400,
    "n_rnaseq_samples": 300,
    "n_single_cell_samples": 10,
    "n_studies_per_disease": 1,
    "cases_per_study": 20,
    "controls_per_study": 10,
    "healthy_study_size": 30,
    "n_decoy_genes": 10,
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
    "single": {
        "disease_effect": "single_genes",
        "effect_amplitude_factor": 0.3,
        "effect_noise_factor": 1.0,
    },
}
# Each planted disease in its own regime: two through programs, two direct, one rare.
REGIMES["mixed"] = {
    "disease_regimes": {
        "asthma": "program",
        "crohns_disease": "direct",
        "ulcerative_colitis": "program",
        "obesity": "rare",
        "colon_carcinoma": "direct",
    }
}
# The keys a per-disease regime may set, and so what differs between diseases.
DISEASE_KEYS = (
    "disease_effect",
    "program_shift",
    "cases_per_study",
    "effect_amplitude_factor",
    "effect_noise_factor",
)


def _cases_from_share(p: dict) -> dict:
    """``cases_per_study`` from ``disease_case_share`` when it is set (the ``rare`` regime)."""
    share = p["disease_case_share"]
    if share is not None:
        if not 0 < share <= 1:
            raise InputError(
                "params", f"disease_case_share {share} is not in (0, 1]", "use e.g. 0.01"
            )
        arm = min(p["n_microarray_samples"], p["n_rnaseq_samples"])
        p["cases_per_study"] = max(1, int(share * arm / p["n_studies_per_disease"]))
    return p


def _disease_params(p: dict, disease_id: str) -> dict:
    """The parameters of one disease: ``p`` with the disease's own regime (``disease_regimes``) on top."""
    own = p["disease_regimes"].get(disease_id)
    return p if own is None else _cases_from_share({**p, **REGIMES[own]})


def _params(params: dict, regime: str) -> dict:
    """Merge the regime's parameters and then ``params`` into the defaults; check that the design fits."""
    if regime not in REGIMES:
        raise InputError("regime", f"unknown regime {regime!r}", f"use one of {list(REGIMES)}")
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise InputError(
            "params", f"unknown keys {', '.join(unknown)}", "use keys of DEFAULT_PARAMS"
        )
    p = _cases_from_share(json.loads(json.dumps({**DEFAULT_PARAMS, **REGIMES[regime], **params})))
    planted = p["diseases"] + p["external_diseases"]
    for disease_id, own in p["disease_regimes"].items():
        if disease_id not in planted or own not in REGIMES or "disease_regimes" in REGIMES[own]:
            raise InputError(
                "params",
                f"disease_regimes: {disease_id!r}: {own!r} is not a planted disease and a regime",
                f"use diseases of {planted} and regimes of {['direct', 'program', 'rare', 'single']}",
            )
    # The settings of every disease: the compendium's, or those of the disease's own regime.
    p["disease_settings"] = {
        d: {k: v for k, v in _disease_params(p, d).items() if k in DISEASE_KEYS} for d in planted
    }
    for settings in p["disease_settings"].values():
        if settings["disease_effect"] not in ("genes", "programs", "single_genes"):
            raise InputError(
                "params",
                f"unknown disease_effect {settings['disease_effect']!r}",
                "use genes, programs or single_genes",
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
    for diseases in p["archs4_series"]:
        if not diseases or set(diseases) - set(planted):
            raise InputError(
                "params",
                f"archs4_series entry {diseases} names no disease or one that is not planted",
                f"list diseases of {planted} in each series",
            )
    per_study = [settings["cases_per_study"] for settings in p["disease_settings"].values()]
    per_arm = p["n_studies_per_disease"] * sum(n + p["controls_per_study"] for n in per_study)
    if per_arm > min(p["n_microarray_samples"], p["n_rnaseq_samples"]):
        raise InputError(
            "params",
            f"disease studies need {per_arm} samples per platform",
            "raise n_microarray_samples and n_rnaseq_samples or shrink the disease studies",
        )
    return p
