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
This is ``disease_effect: genes`` (``single_genes``: the same shifts on genes drawn at random instead of
a grown module). With ``disease_effect: programs`` a disease acts through a gene
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

RNA-seq counts (ARCHS4 arm, its own samples and studies from the same model, followed in the file by
the disease series of ``archs4_series``, :mod:`deepmodules.simulate.series`, which the compendium
leaves out and the workflow analyses as external datasets):

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

* ``direct`` (the default): ``disease_effect: genes``, each case's module genes shifted by
  ``v_sd δ_dg`` with ``v_sd ~ U(0.7, 1)``, ``cases_per_study`` cases per disease study (4% of the demo's
  microarray samples per disease).
* ``program``: ``disease_effect: programs`` with ``program_shift: 0.3``.
* ``rare``: ``direct`` effects in few samples: ``disease_case_share: 0.01``, so that
  ``cases_per_study = max(1, ⌊0.01 · min(n_microarray_samples, n_rnaseq_samples) /
  n_studies_per_disease⌋)`` and each disease's cases are about 1% of a platform's samples.
* ``single``: ``disease_effect: single_genes``, a shift of ``module_size`` genes drawn at random (mostly
  background genes that follow no program) in the cases of the disease's one cell type, weaker than
  ``direct``'s (|δ_dg| = 0.3 A_g + σ_g): single-gene effects that no direction the autoencoder learned
  from the compendium carries.
* ``mixed`` (the demo): each planted disease in one of the above (``disease_regimes``: asthma and
  ulcerative colitis ``program``, Crohn's disease and colon carcinoma ``direct``, obesity ``rare``), so
  that the methods' recoveries differ between diseases of one compendium. ``disease_regimes`` may also
  be given in ``params`` over any regime; ``ground_truth.json`` records each disease's settings.

Generation runs in blocks of genes (microarray text) or samples (RNA-seq HDF5), so memory stays far
below one float32 samples × genes matrix; a fixed seed gives byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from deepmodules.simulate.archs4 import _write_archs4
from deepmodules.simulate.emtab import SDRF_COLUMNS, _write_matrix, _write_sdrf
from deepmodules.simulate.external import _write_external
from deepmodules.simulate.files import (
    ARCHS4_FILE,
    DISGENET_FILE,
    EXTERNAL_MATRIX_FILE,
    EXTERNAL_SAMPLES_FILE,
    GROUND_TRUTH_FILE,
    GWAS_CATALOG_FILE,
    MATRIX_FILE,
    MATRIX_MEMBER,
    OUTPUT_FILES,
    REFGENE_FILE,
    SDRF_FILE,
    STRING_INFO_FILE,
    STRING_LINKS_FILE,
)
from deepmodules.simulate.gwas import DISGENET_COLUMNS, GWAS_CATALOG_COLUMNS, _write_gwas
from deepmodules.simulate.model import (
    _arm,
    _cell_type_programs,
    _communities,
    _external_arm,
    _gene_model,
    _merge_edges,
    _network,
    _plant_modules,
    _program_id,
)
from deepmodules.simulate.params import (
    DEFAULT_PARAMS,
    DISEASES,
    EFO_PREFIX,
    PAPER_PARAMS,
    REGIMES,
    SMALL_PARAMS,
    _params,
)
from deepmodules.simulate.refgene import _write_refgene, ucsc_bin
from deepmodules.simulate.series import _series_arm, series_truth
from deepmodules.simulate.stringdb import _write_string

# What callers use: simulate(), the written files' paths, and the sources' column layouts.
__all__ = [
    "ARCHS4_FILE",
    "DEFAULT_PARAMS",
    "DISEASES",
    "DISGENET_COLUMNS",
    "DISGENET_FILE",
    "EXTERNAL_MATRIX_FILE",
    "EXTERNAL_SAMPLES_FILE",
    "GROUND_TRUTH_FILE",
    "GWAS_CATALOG_COLUMNS",
    "GWAS_CATALOG_FILE",
    "MATRIX_FILE",
    "MATRIX_MEMBER",
    "OUTPUT_FILES",
    "PAPER_PARAMS",
    "REFGENE_FILE",
    "REGIMES",
    "SMALL_PARAMS",
    "SDRF_COLUMNS",
    "SDRF_FILE",
    "STRING_INFO_FILE",
    "STRING_LINKS_FILE",
    "simulate",
    "ucsc_bin",
]


def simulate(outdir: Path, params: dict, seed: int, regime: str) -> dict:
    """Write the simulated sources under ``outdir`` and return the planted ground truth.

    ``params`` overrides keys of :data:`DEFAULT_PARAMS` and of the ``regime``'s parameter set
    (:data:`REGIMES`). The same ``params``, ``seed`` and ``regime`` give byte-identical files.
    """
    outdir = Path(outdir)
    p = _params(params, regime)
    streams = [
        *("network", "programs", "genes", "microarray", "rnaseq", "genome", "gwas", "external"),
        "series",
    ]
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
    arms = [(rnaseq, rng["rnaseq"])]
    series = _series_arm(rng["series"], planted, programs_on) if p["archs4_series"] else None
    if series is not None:
        arms.append((series, rng["series"]))
    _write_archs4(outdir / ARCHS4_FILE, genes, arms, p)

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
                **p["disease_settings"][disease_id],
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
        "series": series_truth(series) if series is not None else {},
        "xor_genes": [symbols[g] for g in np.flatnonzero(genes.partner >= 0)],
    }
    (outdir / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=1) + "\n")
    return truth
