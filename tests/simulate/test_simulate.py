"""The simulated compendium: determinism, formats the readers accept, and the planted ground truth."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from deepmodules import simulate as sim
from deepmodules.data.series import parse_characteristics
from deepmodules.data.sources import read_archs4, read_processed_matrix, read_sdrf
from deepmodules.errors import InputError
from deepmodules.validate.enrichment import fisher_enrichment
from tests.conftest import DEMO_SERIES, ROOT, SEED, SMALL, SMALL_SOURCES


@pytest.fixture(scope="module")
def outdir(small_sources: Path) -> Path:
    return small_sources


@pytest.fixture(scope="module")
def truth(outdir: Path) -> dict:
    return json.loads((outdir / sim.GROUND_TRUTH_FILE).read_text())


@pytest.fixture(scope="module")
def microarray(outdir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expression (samples × genes) and the SDRF, read back with the project's readers."""
    genes, samples, values = read_processed_matrix(outdir / sim.MATRIX_FILE, sim.MATRIX_MEMBER)
    sdrf = read_sdrf(outdir / sim.SDRF_FILE, sim.SDRF_COLUMNS)
    return pd.DataFrame(values, index=samples, columns=genes), sdrf


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_differs(outdir: Path, tmp_path: Path):
    sim.simulate(tmp_path / "again", SMALL_SOURCES, SEED, "direct")
    sim.simulate(tmp_path / "other", SMALL_SOURCES, SEED + 1, "direct")
    first, again, other = _files(outdir), _files(tmp_path / "again"), _files(tmp_path / "other")
    assert len(first) == len(sim.OUTPUT_FILES)
    assert first == again
    # Everything drawn differs; the external sample sheet is a fixed design.
    assert all(first[name] != other[name] for name in first if name != sim.EXTERNAL_SAMPLES_FILE)


def test_unknown_param_and_oversized_design_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="n_gens"):
        sim.simulate(tmp_path, {**SMALL, "n_gens": 10}, SEED, "direct")
    with pytest.raises(InputError, match="disease studies need"):
        sim.simulate(tmp_path, {**SMALL, "n_microarray_samples": 100}, SEED, "direct")


def test_matrix_and_sdrf_round_trip(microarray, truth: dict):
    expression, sdrf = microarray
    assert expression.shape == (SMALL["n_microarray_samples"], SMALL["n_genes"])
    assert list(expression.columns) == truth["genes"]
    assert list(expression.index) == sdrf["Assay Name"].tolist()
    assert not expression.isna().to_numpy().any()
    assert 0 < expression.to_numpy().min() and expression.to_numpy().max() < 16
    assert set(sdrf["Characteristics[organism]"]) == {"Homo sapiens"}
    planted = {**truth["diseases"], **truth["external"]}
    assert set(sdrf["Characteristics[disease]"]) == {"normal"} | {
        disease["label"] for disease in planted.values()
    }
    cases = sdrf[sdrf["Characteristics[disease]"] == "asthma"]
    assert len(cases) == SMALL["cases_per_study"]
    assert set(cases["Characteristics[organism part]"]) == {"airway epithelium"}


def _effect_sizes(expression: pd.DataFrame, sdrf: pd.DataFrame, label: str) -> pd.Series:
    """Per gene (mean cases − mean controls) / pooled sd, controls from the same studies."""
    disease = sdrf["Characteristics[disease]"].to_numpy()
    studies = set(sdrf.loc[disease == label, "Characteristics[study]"])
    in_studies = sdrf["Characteristics[study]"].isin(studies).to_numpy()
    cases = expression[disease == label]
    controls = expression[in_studies & (disease == "normal")]
    pooled = np.sqrt((cases.var() + controls.var()) / 2)
    return (cases.mean() - controls.mean()) / pooled


def test_planted_modules_stand_out_in_cases_and_the_sham_disease_has_none(microarray, truth: dict):
    expression, sdrf = microarray
    for disease_id, disease in truth["diseases"].items():
        effect = _effect_sizes(expression, sdrf, disease["label"]).abs()
        module = disease["module_genes"]
        if disease_id == "sham_disease":
            assert module == []
            assert effect.max() < 2.5
            continue
        assert len(module) == SMALL["module_size"]
        assert effect[module].min() > 2
        assert set(effect.nlargest(len(module)).index) == set(module)


def test_up_regulated_module_genes_sit_at_the_top_of_their_range(microarray, truth: dict):
    expression, sdrf = microarray
    disease = sdrf["Characteristics[disease]"].to_numpy()
    for label in ("asthma", "obesity"):
        module = next(d for d in truth["diseases"].values() if d["label"] == label)["module_genes"]
        cases, others = (
            expression.loc[disease == label, module],
            expression.loc[disease != label, module],
        )
        up = cases.median() > others.median()
        assert up.mean() > 0.5
        assert (cases.median()[up] > others.quantile(0.95)[up]).all()


def test_archs4_round_trip_drops_single_cell_samples(outdir: Path, truth: dict):
    genes, meta, counts = read_archs4(outdir / sim.ARCHS4_FILE, 0.5)
    compendium = ~meta["series_id"].isin(truth["series"]).to_numpy()
    meta, counts = meta[compendium].reset_index(drop=True), counts[compendium]
    assert genes == truth["genes"]
    assert counts.shape == (SMALL["n_rnaseq_samples"], SMALL["n_genes"])
    assert counts.dtype == np.uint32
    assert (meta["singlecellprobability"] < 0.5).all()
    assert meta["geo_accession"].str.match(r"GSM\d+$").all()
    assert meta["series_id"].str.match(r"GSE\d+$").all()
    library = counts.sum(axis=1)
    assert 5e5 < library.min() and library.max() < 3e7

    annotation = pd.DataFrame([parse_characteristics(text) for text in meta["characteristics_ch1"]])
    assert set(annotation["cell type"]) <= set(truth["cell_types"])
    asthma = annotation["disease"].eq("asthma").to_numpy()
    airway = annotation["cell type"].eq("airway epithelium").to_numpy()
    controls = airway & annotation["disease"].eq("normal").to_numpy()
    log_cpm = np.log2(1 + 1e6 * counts / library[:, None])
    module = [truth["genes"].index(g) for g in truth["diseases"]["asthma"]["module_genes"]]
    shift = np.abs(log_cpm[asthma][:, module].mean(0) - log_cpm[controls][:, module].mean(0))
    assert asthma.sum() == SMALL["cases_per_study"]
    assert np.median(shift) > 1


def _string_graph(outdir: Path) -> tuple[nx.Graph, pd.DataFrame, pd.DataFrame]:
    links = pd.read_csv(outdir / sim.STRING_LINKS_FILE, sep=" ")
    info = pd.read_csv(outdir / sim.STRING_INFO_FILE, sep="\t")
    symbol = dict(zip(info["#string_protein_id"], info["preferred_name"], strict=True))
    graph = nx.Graph()
    graph.add_edges_from(
        zip(links["protein1"].map(symbol), links["protein2"].map(symbol), strict=True)
    )
    return graph, links, info


def test_string_files_are_symmetric_and_every_module_is_connected(outdir: Path, truth: dict):
    graph, links, info = _string_graph(outdir)
    assert list(links.columns) == ["protein1", "protein2", "combined_score"]
    assert links["protein1"].str.match(r"9606\.ENSP\d{11}$").all()
    assert links["combined_score"].between(150, 999).all()
    forward = set(zip(links["protein1"], links["protein2"], strict=True))
    assert forward == {(b, a) for a, b in forward}
    assert set(links["protein1"]) <= set(info["#string_protein_id"])

    per_symbol = info["preferred_name"].value_counts()
    assert (per_symbol == 2).any()
    assert not set(info["preferred_name"]) <= set(truth["genes"])
    assert set(truth["genes"]) <= set(info["preferred_name"])
    for disease in truth["diseases"].values():
        if disease["module_genes"]:
            assert nx.is_connected(graph.subgraph(disease["module_genes"]))


def _refgene(outdir: Path) -> pd.DataFrame:
    columns = ["bin", "name", "chrom", "strand", "txStart", "txEnd", "cdsStart", "cdsEnd"]
    columns += ["exonCount", "exonStarts", "exonEnds", "score", "name2", "s1", "s2", "exonFrames"]
    return pd.read_csv(outdir / sim.REFGENE_FILE, sep="\t", header=None, names=columns)


def test_refgene_is_valid_genepred(outdir: Path, truth: dict):
    refgene = _refgene(outdir)
    assert set(refgene["name2"]) == set(truth["genes"])
    assert (refgene.groupby("name2").size() == 2).any()
    assert "chrY" not in set(refgene["chrom"])
    assert refgene["name"].is_unique
    for row in refgene.itertuples():
        starts = [int(x) for x in row.exonStarts.rstrip(",").split(",")]
        ends = [int(x) for x in row.exonEnds.rstrip(",").split(",")]
        assert row.bin == sim.ucsc_bin(row.txStart, row.txEnd)
        assert len(starts) == row.exonCount == len(ends)
        assert starts[0] == row.txStart and ends[-1] == row.txEnd
        assert all(s < e for s, e in zip(starts, ends, strict=True))
        assert row.txStart <= row.cdsStart < row.cdsEnd <= row.txEnd
    bodies = refgene.groupby("name2").agg(chrom=("chrom", "first"), start=("txStart", "min"))
    bodies = bodies.sort_values(["chrom", "start"])
    assert (bodies.groupby("chrom")["start"].diff().dropna() >= 200_000).all()


def test_ucsc_bin_matches_known_values():
    assert sim.ucsc_bin(11_873, 14_409) == 585
    assert sim.ucsc_bin(256_849, 319_570) == 73
    assert sim.ucsc_bin(0, 1 << 29) == 0


def test_gwas_snps_lie_at_their_genes_and_both_files_agree(outdir: Path, truth: dict):
    refgene = _refgene(outdir)
    bodies = refgene.groupby("name2").agg(
        chrom=("chrom", "first"), start=("txStart", "min"), end=("txEnd", "max")
    )
    catalog = pd.read_csv(
        outdir / sim.GWAS_CATALOG_FILE, sep="\t", dtype=str, keep_default_na=False
    )
    assert list(catalog.columns) == sim.GWAS_CATALOG_COLUMNS
    placed = catalog[catalog["CHR_POS"].str.fullmatch(r"\d+")]
    assert len(placed) < len(catalog)  # unplaced SNPs and haplotype rows
    assert catalog["SNPS"].str.contains(" x ").any()
    assert (placed["CHR_ID"] == "Y").any()

    planted = {**truth["diseases"], **truth["external"]}
    by_uri = {d["efo_uri"]: d for d in planted.values()}
    for row in placed[placed["CHR_ID"] != "Y"].itertuples():
        disease = by_uri[row.MAPPED_TRAIT_URI]
        gene = row.MAPPED_GENE
        assert gene in disease["gwas_genes"] or gene in disease["decoy_genes"]
        position, body = int(row.CHR_POS), bodies.loc[gene]
        assert body.chrom == f"chr{row.CHR_ID}"
        # BED interval of the SNP [position - 1, position) against the gene's [start, end)
        distance = max(body.start - position + 1, position - body.end, 0)
        assert distance <= 2_000
        same_chrom = bodies[bodies["chrom"] == body.chrom]
        distances = np.maximum.reduce(
            [
                same_chrom["start"] - position + 1,
                position - same_chrom["end"],
                np.zeros(len(same_chrom)),
            ]
        )
        assert same_chrom.index[np.argmin(distances)] == gene
    for disease_id, disease in truth["diseases"].items():
        assert set(disease["gwas_genes"]) <= set(disease["module_genes"])
        assert not set(disease["decoy_genes"]) & set(disease["module_genes"])
        mapped = set(placed.loc[placed["MAPPED_TRAIT_URI"] == disease["efo_uri"], "MAPPED_GENE"])
        assert set(disease["gwas_genes"]) | set(disease["decoy_genes"]) == mapped - {""}
        if disease_id == "sham_disease":
            assert disease["gwas_genes"] == []
        else:
            assert len(disease["gwas_genes"]) == round(0.7 * SMALL["module_size"])

    with gzip.open(outdir / sim.DISGENET_FILE, "rt") as handle:
        disgenet = pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False)
    assert list(disgenet.columns) == sim.DISGENET_COLUMNS
    single = catalog[~catalog["SNPS"].str.contains(" x ")]
    snp_columns = {"snpId": "SNPS", "chromosome": "CHR_ID", "position": "CHR_POS"}
    single = catalog[~catalog["SNPS"].str.contains(" x ")][list(snp_columns.values())]
    assert sorted(disgenet[list(snp_columns)].itertuples(index=False, name=None)) == sorted(
        single.itertuples(index=False, name=None)
    )
    assert set(disgenet["diseaseId"]) == {d["disgenet_id"] for d in planted.values()}


def test_ground_truth_names(truth: dict):
    assert set(truth) == {
        "seed",
        "regime",
        "params",
        "genes",
        "communities",
        "cell_types",
        "diseases",
        "external",
        "series",
        "xor_genes",
    }
    assert truth["seed"] == SEED and truth["params"]["n_genes"] == SMALL["n_genes"]
    assert truth["regime"] == "direct"
    assert len(truth["communities"]) == SMALL["n_communities"]
    assert all(len(g) == SMALL["community_size"] for g in truth["communities"].values())
    assert set(truth["xor_genes"]) <= {g for genes in truth["communities"].values() for g in genes}
    assert set(truth["diseases"]) | set(truth["external"]) == set(sim.DISEASES)
    assert truth["diseases"]["asthma"]["disgenet_id"] == "C0004096"
    assert truth["diseases"]["asthma"]["efo_uri"] == "http://www.ebi.ac.uk/efo/EFO_0000270"
    assert all(
        len(cell["programs"]) == SMALL["programs_per_cell_type"]
        for cell in truth["cell_types"].values()
    )


def test_external_dataset_plants_its_module_in_cases_more_than_in_other_disease(outdir, truth):
    genes, samples, values = read_processed_matrix(outdir / sim.EXTERNAL_MATRIX_FILE)
    sheet = pd.read_csv(outdir / sim.EXTERNAL_SAMPLES_FILE, sep="\t")
    assert sheet["sample"].tolist() == samples
    assert len(genes) == round(
        0.97 * SMALL["n_genes"]
    )  # a few genes missing, as on another platform
    ms = truth["external"]["multiple_sclerosis"]
    module = [genes.index(g) for g in ms["module_genes"] if g in genes]
    group = sheet["group"].to_numpy()

    def shift(name):
        return np.abs(
            values[group == name][:, module].mean(0) - values[group == "normal"][:, module].mean(0)
        )

    assert np.median(shift("multiple sclerosis")) > 2 * np.median(shift("other disease")) > 0


PROGRAMS = {**SMALL, "n_communities": 12, "disease_effect": "programs"}


def test_program_shift_does_nothing_in_genes_mode(outdir: Path, tmp_path: Path):
    sim.simulate(
        tmp_path, {**SMALL_SOURCES, "disease_effect": "genes", "program_shift": 0.9}, SEED, "direct"
    )
    first, shifted = _files(outdir), _files(tmp_path)
    assert all(first[name] == shifted[name] for name in first if name != sim.GROUND_TRUTH_FILE)
    with pytest.raises(InputError, match="disease_effect"):
        sim.simulate(tmp_path, {**SMALL, "disease_effect": "pathways"}, SEED, "direct")


def test_programs_mode_shifts_the_program_of_each_disease_in_its_cases(tmp_path: Path):
    """Same seed with and without the shift: the difference is the disease effect itself."""
    truth = sim.simulate(tmp_path / "shift", {**PROGRAMS, "program_shift": 0.3}, SEED, "direct")
    sim.simulate(tmp_path / "none", {**PROGRAMS, "program_shift": 0.0}, SEED, "direct")
    genes, samples, shifted = read_processed_matrix(tmp_path / "shift" / sim.MATRIX_FILE)
    *_, unshifted = read_processed_matrix(tmp_path / "none" / sim.MATRIX_FILE)
    diff = pd.DataFrame(shifted - unshifted, index=samples, columns=genes)
    disease = read_sdrf(tmp_path / "shift" / sim.SDRF_FILE, sim.SDRF_COLUMNS)[
        "Characteristics[disease]"
    ].to_numpy()
    tol = 2e-4  # values are written with 4 decimals

    assert (diff[disease == "normal"].abs() < tol).all().all()
    assert (diff[disease == "sham disease"].abs() < tol).all().all()
    assert truth["diseases"]["sham_disease"]["module_genes"] == []
    xor = set(truth["xor_genes"])
    community_genes = {g for members in truth["communities"].values() for g in members}
    programs = []
    for disease_id, planted in {**truth["diseases"], **truth["external"]}.items():
        module = planted["module_genes"]
        if not module:
            continue
        # The module is one program's whole gene set, off in the disease's cell type, on in another.
        program = next(k for k, members in truth["communities"].items() if members == module)
        programs.append(program)
        cell_types = truth["cell_types"]
        assert program not in cell_types[sim.DISEASES[disease_id]["cell_type"]]["programs"]
        assert any(program in cell["programs"] for cell in cell_types.values())
        assert set(planted["gwas_genes"]) <= set(module)

        cases = diff[disease == planted["label"]]
        direct = [g for g in module if g not in xor]
        assert (cases[direct] > -tol).all().all()
        assert cases[direct].mean().min() > 0.15  # A_g v Δ ≥ 1 × 0.7 × 0.3, barely ever clipped
        # Other programs' genes do not move unless they are XOR-partnered with the program.
        others = sorted(community_genes - set(module) - xor)
        assert (cases[others].abs() < tol).all().all()
        background = [g for g in genes if g not in community_genes]
        assert (cases[background].abs() < 0.15 * 3 * 0.3 + tol).all().all()
    assert (
        len(programs) == len(set(programs)) == len(truth["diseases"]) + len(truth["external"]) - 1
    )


def test_direct_is_the_default_regime_and_program_is_the_programs_mode(
    outdir: Path, tmp_path: Path
):
    sim.simulate(tmp_path / "direct", SMALL_SOURCES, SEED, regime="direct")
    assert _files(outdir) == _files(tmp_path / "direct")
    truth = sim.simulate(tmp_path / "program", {**SMALL, "n_communities": 12}, SEED, "program")
    sim.simulate(tmp_path / "programs", PROGRAMS, SEED, "direct")
    program, programs = _files(tmp_path / "program"), _files(tmp_path / "programs")
    assert all(program[name] == programs[name] for name in program if name != sim.GROUND_TRUTH_FILE)
    assert truth["regime"] == "program" and truth["params"]["disease_effect"] == "programs"
    with pytest.raises(InputError, match="unknown regime"):
        sim.simulate(tmp_path / "bad", SMALL, SEED, regime="pathways")


def test_rare_regime_puts_each_disease_in_at_most_one_percent_of_samples(tmp_path: Path):
    size = {**SMALL, "n_microarray_samples": 1200, "n_rnaseq_samples": 1000}
    truth = sim.simulate(tmp_path, size, SEED, regime="rare")
    assert truth["params"]["cases_per_study"] == 10  # 1% of the smaller platform
    sdrf = read_sdrf(tmp_path / sim.SDRF_FILE, sim.SDRF_COLUMNS)
    meta = read_archs4(tmp_path / sim.ARCHS4_FILE, 0.5)[1]
    rnaseq = pd.Series(
        [parse_characteristics(text)["disease"] for text in meta["characteristics_ch1"]]
    )
    labels = [d["label"] for d in {**truth["diseases"], **truth["external"]}.values()]
    for disease in (sdrf["Characteristics[disease]"], rnaseq):
        counts = disease.value_counts()
        assert (counts[labels] == 10).all()
        assert counts[labels].max() / len(disease) <= 0.01
    with pytest.raises(InputError, match="disease_case_share"):
        sim.simulate(tmp_path / "bad", {**SMALL, "disease_case_share": 0}, SEED, "direct")


def test_mixed_regime_gives_each_disease_its_own_regime(tmp_path: Path):
    size = {**SMALL, "n_communities": 12, "n_microarray_samples": 1200, "n_rnaseq_samples": 1000}
    truth = sim.simulate(tmp_path, size, SEED, regime="mixed")
    diseases = truth["diseases"]
    # A program disease's module is a whole community; a direct one is grown to module_size.
    communities = [set(genes) for genes in truth["communities"].values()]
    for disease_id in ("asthma", "ulcerative_colitis"):
        assert diseases[disease_id]["disease_effect"] == "programs"
        assert set(diseases[disease_id]["module_genes"]) in communities
    for disease_id in ("crohns_disease", "colon_carcinoma", "obesity"):
        assert diseases[disease_id]["disease_effect"] == "genes"
        assert len(diseases[disease_id]["module_genes"]) == size["module_size"]
    assert diseases["crohns_disease"]["cases_per_study"] == size["cases_per_study"]
    sdrf = read_sdrf(tmp_path / sim.SDRF_FILE, sim.SDRF_COLUMNS)
    counts = sdrf["Characteristics[disease]"].value_counts()
    assert counts["obesity"] == 10 and counts["Crohn's disease"] == size["cases_per_study"]
    with pytest.raises(InputError, match="disease_regimes"):
        sim.simulate(
            tmp_path / "bad", {**SMALL, "disease_regimes": {"asthma": "often"}}, SEED, "direct"
        )


def test_demo_gwas_signal_grades_module_recovery_without_reaching_the_floor(tmp_path: Path):
    """With the demo's GWAS settings (config/config.yaml) at demo size, the Fisher p of a top-100
    module falls from about 1e-8 when it holds every planted gene to about 1e-3 with half of them and
    to chance with none, so Fig. 3 separates methods that recover more or less of a module."""
    with open(ROOT / "config" / "config.yaml") as handle:
        demo = yaml.safe_load(handle)["simulate"]
    truth = sim.simulate(tmp_path, demo["params"], 1, demo["regime"])
    genes, rng = truth["genes"], np.random.default_rng(0)
    p_values = {share: [] for share in (1.0, 0.5, 0.0)}
    for disease in truth["diseases"].values():
        planted = disease["module_genes"]
        gwas = disease["gwas_genes"] + disease["decoy_genes"]
        others = sorted(set(genes) - set(planted))
        for share, values in p_values.items():
            for _ in range(10):
                hits = list(rng.choice(planted, round(share * len(planted)), replace=False))
                module = hits + list(rng.choice(others, 100 - len(hits), replace=False))
                values.append(fisher_enrichment(module, gwas, genes)["p_value"])
    median = {share: float(np.median(values)) for share, values in p_values.items()}
    assert 1e-10 < median[1.0] < 1e-6, median
    assert 1e-5 < median[0.5] < 1e-2, median
    assert median[0.0] > 0.1, median


@pytest.mark.parametrize("log_sd", [None, 1.2])
def test_gene_lengths_are_uniform_by_default_and_log_normal_on_request(tmp_path: Path, log_sd):
    p = sim._params(
        {"gene_length_range": [2_000, 2_000_000], "gene_length_log_sd": log_sd}, "direct"
    )
    symbols = [f"G{i}" for i in range(2000)]
    body = sim._write_refgene(tmp_path / "refGene.txt.gz", p, symbols, np.random.default_rng(0))
    lengths = (body["end"] - body["start"]).to_numpy()
    assert lengths.min() >= 2_000 and lengths.max() <= 2_000_000
    spread = np.percentile(lengths, 90) / np.percentile(lengths, 10)
    if log_sd is None:  # uniform: the median is the range's midpoint
        assert np.median(lengths) == pytest.approx(1_001_000, rel=0.1) and spread < 20
    else:  # log-normal: median at the geometric midpoint, 90th/10th percentile e^(2.56 sd) ≈ 22
        assert np.median(lengths) == pytest.approx(63_246, rel=0.15)
        assert 15 < spread < 30


def test_disease_series_follow_the_compendium_with_their_groups(
    outdir: Path, truth: dict, tmp_path: Path
):
    """The demo's disease series sit after the compendium's samples in the ARCHS4 file, with GEO-style
    characteristics and titles, their cases shifted on the planted module genes; adding them leaves
    every compendium count and every other file unchanged."""
    _, meta, counts = read_archs4(outdir / sim.ARCHS4_FILE, 0.5)
    series = truth["series"]
    assert [entry["diseases"] for entry in series.values()] == DEMO_SERIES
    n = truth["params"]["series_cases"]
    assert series["GSE900001"]["groups"] == {"asthma": n, "healthy control": n}
    ibd = series["GSE900002"]["groups"]
    assert ibd == {"Crohn's disease": n, "ulcerative colitis": n, "healthy control": n}
    mine = meta["series_id"].eq("GSE900002").to_numpy()
    assert meta["geo_accession"][mine].tolist() == series["GSE900002"]["samples"]
    in_series = meta["series_id"].isin(series).to_numpy()
    assert np.flatnonzero(in_series).min() > np.flatnonzero(~in_series).max()
    states = np.array(
        [parse_characteristics(t)["disease state"] for t in meta["characteristics_ch1"][mine]]
    )
    crohns_title = meta["title"][mine].str.startswith("crohns_disease_").to_numpy()
    np.testing.assert_array_equal(crohns_title, states == "Crohn's disease")

    module = [truth["genes"].index(g) for g in truth["diseases"]["crohns_disease"]["module_genes"]]
    log_cpm = np.log2(1 + 1e6 * counts / counts.sum(axis=1, keepdims=True))[mine]
    cases, controls = log_cpm[states == "Crohn's disease"], log_cpm[states == "healthy control"]
    assert np.median(np.abs(cases[:, module].mean(0) - controls[:, module].mean(0))) > 1

    sim.simulate(tmp_path, SMALL, SEED, "direct")
    _, plain_meta, plain = read_archs4(tmp_path / sim.ARCHS4_FILE, 0.5)
    np.testing.assert_array_equal(counts[~in_series], plain)
    assert plain_meta["geo_accession"].tolist() == meta["geo_accession"][~in_series].tolist()
    first, bare = _files(outdir), _files(tmp_path)
    assert [name for name in first if first[name] != bare[name]] == [
        sim.ARCHS4_FILE,
        sim.GROUND_TRUTH_FILE,
    ]
