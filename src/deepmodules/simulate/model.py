"""The generative model of the simulated compendium (see :mod:`deepmodules.simulate`): communities, the
protein network, cell-type programs, planted disease modules, per-gene parameters and the samples of
each platform.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from deepmodules.errors import InputError
from deepmodules.simulate.params import DISEASES, NEGATIVE_CONTROLS


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
    cell type switches off and another cell type on, a different one for each disease; with
    ``single_genes`` it is ``module_size`` genes drawn at random from the genes not yet taken.
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
        effect = p["disease_settings"][disease_id]["disease_effect"]
        if effect == "programs":
            genes, tree = _program_module(rng, p, community, programs_on, cell, taken, disease_id)
        elif effect == "single_genes":
            free = np.setdiff1d(np.arange(n_genes), list(taken))
            genes = sorted(rng.choice(free, p["module_size"], replace=False).tolist())
            tree = np.zeros((0, 2), dtype=np.int64)
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
        settings = p["disease_settings"][disease_id]
        if settings["disease_effect"] == "programs":
            shift[d, program[genes[:1]]] = settings["program_shift"]
            continue
        size = (
            settings["effect_amplitude_factor"] * amplitude[genes]
            + settings["effect_noise_factor"] * sigma[genes]
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
                    p["disease_settings"][disease_id]["cases_per_study"],
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
