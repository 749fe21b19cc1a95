"""The workflow end to end on the embedded demo, its dry runs, its linter and its bad-input messages."""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from deepmodules import bundle, layout
from deepmodules.modules import consensus

from .. import report_browser

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PLANTED = ["asthma", "crohns_disease", "ulcerative_colitis", "obesity", "colon_carcinoma"]
FIGURE_STEMS = [
    "fig2_reconstruction",
    "fig3_gwas_enrichment",
    "fig4_silhouette",
    "fig5_ppi_colocalization",
    "fig6_rnaseq_gwas",
    "fig7_rnaseq_ppi",
]

pytestmark = pytest.mark.workflow


def snakemake(workdir, *args, configfile=ROOT / "config" / "config.yaml", timeout=1800):
    command = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    command += ["--configfile", str(configfile), *args]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


# The environment a user's shell has after `make install`: the project's tools on PATH.
PATH_ENV = {
    **os.environ,
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}
# What a checkout holds beside results/: linked into a finished run's folder, it lets the
# documented commands run there exactly as printed.
CHECKOUT = [
    "Snakefile",
    "Makefile",
    "workflow",
    "config",
    "profiles",
    "envs",
    "benchmarks",
    "requirements.txt",
    "pyproject.toml",
]


def run_documented(folder, command, timeout=900):
    """Run a command of the docs as printed, in ``folder`` made to look like a checkout: the
    workflow's files linked in, `.venv` the environment running the tests, and the placeholders
    `my.yaml`/`myconfig.yaml` (a user's configuration) a copy of the demo's, `N` cores 2."""
    for name in CHECKOUT:
        if not (folder / name).exists():
            (folder / name).symlink_to(ROOT / name)
    if not (folder / ".venv").exists():
        (folder / ".venv").symlink_to(Path(sys.executable).parents[1])
    for name in ("my.yaml", "myconfig.yaml"):
        (folder / name).write_text((ROOT / "config" / "config.yaml").read_text())
    command = re.sub(r"--cores N\b", "--cores 2", command)
    return subprocess.run(
        command,
        shell=True,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=PATH_ENV,
    )


def write_config(path, **changes):
    with open(ROOT / "config" / "config.yaml") as handle:
        config = yaml.safe_load(handle)
    for dotted, value in changes.items():
        node = config
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(config, sort_keys=False))  # key order is config order
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The whole demo DAG, run once for the module."""
    workdir = tmp_path_factory.mktemp("demo")
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def test_lint_is_clean():
    """README's `make lint` as printed: Snakemake's linter, snakefmt and ruff."""
    result = subprocess.run(
        ["make", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=PATH_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_paper_configuration_plans_every_stage(tmp_path):
    result = snakemake(
        tmp_path, "-n", "--quiet", "rules", configfile=ROOT / "config" / "paper.yaml"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    plan = result.stdout + result.stderr
    for rule in [
        "download",
        "check_dataset",
        "check_network",
        "check_gwas",
        "check_inputs",
        "normalize",
        "train",
        "reconstruction",
        "lightup",
        "ppi_colocalization",
        "reverse_training",
        "naive_baseline",
        "consensus_modules",
        "replication",
        "verdict",
        "gwas_genes",
        "gwas_enrichment",
        "controls_analysis",
        "silhouette",
        "figure_reconstruction",
        "figure_gwas",
        "figure_silhouette",
        "figure_ppi",
    ]:
        assert rule in plan, f"{rule} missing from the paper plan"
    counts = dict(
        line.split()[:2]
        for line in plan.splitlines()
        if line.strip() and line.split()[-1].isdigit()
    )
    # 13 models on the microarrays, 2 on RNA-seq (sweep_datasets), each once: the paper's single
    # autoencoders (models.replicates: 1)
    assert counts["train"] == "15"
    assert ".r2" not in plan
    # the seven source files and the three gene-set collections, all through the one download rule
    assert counts["download"] == "10" and "download_geneset" not in counts
    # The paper configuration replaces the demo's rather than merging with it: its external datasets
    # are its own four RNA-seq disease series.
    assert "simulate" not in counts and counts["external_dataset"] == "4"


def planned_jobs(result, rule):
    """The dry run's job blocks of one rule, as text."""
    blocks = re.split(r"\n(?=\[[^\]]+\]\n)", result.stdout + result.stderr)
    return [block for block in blocks if re.search(rf"^rule {rule}:", block, flags=re.M)]


def test_paper_plans_fig6_from_its_four_disease_series(tmp_path):
    """The RNA-seq arm analyses no disease of the compendium (its diseases are the microarray arm's):
    Fig. 6 is drawn from the four series projected through the rnaseq autoencoder."""
    result = snakemake(tmp_path, "-n", "fig6", "fig7", configfile=ROOT / "config" / "paper.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    (figure,) = planned_jobs(result, "figure_gwas")
    series = ["asthma_gse75011", "crohns_disease_gse112057", "ulcerative_colitis_gse112057"]
    for name in [*series, "obesity_gse65540"]:
        assert f"results/rnaseq/external/{name}/gwas_enrichment.tsv" in figure
    assert "results/rnaseq/gwas_enrichment.tsv" not in figure
    assert not planned_jobs(result, "reverse_training") and planned_jobs(result, "figure_ppi")
    assert len(planned_jobs(result, "check_external")) == 4


def test_an_rnaseq_series_counts_table_plans_with_its_series_matrix_as_input(tmp_path):
    """A GEO RNA-seq series given as its counts table and its series matrix (`annotation`): the
    check, the listing and the stage take both files, so a change to either reruns them."""
    (tmp_path / "GSE0_raw_counts.csv").write_text("gene,GSM1\nTP53,1\n")
    (tmp_path / "GSE0_series_matrix.txt").write_text('!Sample_geo_accession\t"GSM1"\n')
    spec = {
        "matrix": "GSE0_raw_counts.csv",
        "annotation": "GSE0_series_matrix.txt",
        "values": "counts",
        "group_by": {"characteristic": "disease state", "values": {"asthma": "asthma"}},
        "compendium": "rnaseq",
        "case": "asthma",
        "references": ["control"],
        "gwas_terms": ["asthma"],
    }
    config = write_config(tmp_path / "geo.yaml", **{"external.asthma_gse0": spec})
    result = snakemake(tmp_path, "-n", configfile=config)
    assert result.returncode == 0, result.stderr[-3000:]
    for rule in ("check_external", "external_dataset", "external_verdict"):
        jobs = [job for job in planned_jobs(result, rule) if "asthma_gse0" in job]
        assert jobs and all("GSE0_series_matrix.txt" in job for job in jobs), rule
    listing = snakemake(tmp_path, "-n", "list_series_groups", configfile=config)
    (job,) = [j for j in planned_jobs(listing, "series_groups") if "asthma_gse0" in j]
    assert "GSE0_raw_counts.csv" in job and "GSE0_series_matrix.txt" in job


def test_a_disease_of_one_dataset_is_not_analysed_in_the_other(tmp_path):
    config = write_config(
        tmp_path / "obesity.yaml", **{"diseases.obesity.datasets": ["microarray"]}
    )
    result = snakemake(tmp_path, "-n", configfile=config)
    assert result.returncode == 0, result.stderr[-3000:]
    enrichment = {
        re.search(r"dataset=(\w+)", job).group(1): job
        for job in planned_jobs(result, "gwas_enrichment")
    }
    assert "results/microarray/modules/deep128/h3/obesity.tsv" in enrichment["microarray"]
    assert "results/rnaseq/modules/deep128/h3/asthma.tsv" in enrichment["rnaseq"]
    assert "/obesity.tsv" not in enrichment["rnaseq"]


def test_schema_violation_is_one_clear_line(tmp_path):
    config = write_config(tmp_path / "bad.yaml", **{"training.epochs": 0})
    result = snakemake(tmp_path, "-n", configfile=config)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "Configuration error" in line]
    assert len(errors) == 1 and "training.epochs" in errors[0]
    assert "Traceback" not in result.stderr


def test_missing_input_is_named_before_anything_runs(tmp_path):
    config = write_config(
        tmp_path / "bad.yaml",
        **{"simulate.enabled": False, "gwas.refgene": "resources/none.txt.gz"},
    )
    result = snakemake(tmp_path, "-n", configfile=config)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "Configuration error" in line]
    assert len(errors) == 1
    assert re.search(r"config: [\w.]+: file \S+ does not exist and no rule makes it", errors[0])


def test_unknown_disease_stops_at_the_input_check_without_partial_output(tmp_path):
    config = write_config(
        tmp_path / "bad.yaml",
        **{"diseases.lupus": {"label": "lupus", "gwas_terms": ["EFO_0002690"]}},
    )
    result = snakemake(
        tmp_path, "--cores", "1", "results/microarray/normalized/genes.tsv", configfile=config
    )
    assert result.returncode != 0
    assert "disease 'lupus' (label 'lupus') has no samples" in result.stderr
    assert not (tmp_path / "results" / "checks" / "microarray.tsv").exists()
    assert not (tmp_path / "results" / "microarray" / "normalized").exists()


def test_string_without_links_stops_before_any_long_job(tmp_path):
    """The silent case of a header-only STRING file: the check fails, nothing after it runs."""
    links = "resources/demo/string/9606.protein.links.v12.0.txt.gz"
    assert snakemake(tmp_path, "--cores", "1", links).returncode == 0
    with gzip.open(tmp_path / links, "wt") as handle:
        handle.write("protein1 protein2 combined_score\n")
    result = snakemake(tmp_path, "--cores", "2")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "has a header but no links" in line]
    assert errors and links in errors[0] and "Fix:" in errors[0]
    assert not (tmp_path / "results" / "checks" / "network.tsv").exists()
    assert not (tmp_path / "results" / "microarray" / "models").exists()


def test_demo_recovers_planted_disease_modules_at_h3(demo):
    table = pd.read_csv(demo / "results" / "microarray" / "gwas_enrichment.tsv", sep="\t")
    h3 = table[(table["layer"] == "h3") & table["model"].str.startswith("deep")]
    p = h3.set_index("disease")["p_value"]
    recovered = [d for d in PLANTED if p[d] < 0.01]
    assert len(recovered) > len(PLANTED) / 2, p.to_dict()


def test_demo_fig3_tells_methods_apart(demo):
    """The demo's diseases act in different ways (simulate.regime: mixed), so the methods' GWAS p-values
    differ by disease: for at least two planted diseases the best and the worst method are two orders of
    magnitude apart, and the scorecard flags a layer below the naive baseline somewhere."""
    table = pd.read_csv(demo / "results" / "microarray" / "gwas_enrichment.tsv", sep="\t")
    planted = table[table["disease"].isin(PLANTED) & (table["status"] == "tested")]
    spread = np.log10(planted.groupby("disease")["p_value"].agg(["min", "max"])).diff(axis=1)
    assert (spread["max"] >= 2).sum() >= 2, spread
    truth = pd.read_csv(demo / "results" / "microarray" / "truth_recovery.tsv", sep="\t")
    assert truth["note"].str.startswith("below naive").any(), truth["note"].value_counts()


def test_demo_negative_control_is_not_significant(demo):
    """No sham-disease module is GWAS-enriched once the table's tests are corrected family-wise
    (Bonferroni over every tested row). Uncorrected, on a demo with every disease ``direct``, the modules
    of deep128's h1 and h2 held 4 and 5 of the sham trait's 25 decoy genes in their top 100 under the
    default score (p = 0.03, 0.007): docs/method.md, "Score in the compendium's units"."""
    table = pd.read_csv(demo / "results" / "microarray" / "gwas_enrichment.tsv", sep="\t")
    tested = table[table["status"] == "tested"]
    sham = tested[tested["disease"] == "sham_disease"]
    assert len(sham) > 0 and (sham["p_value"] * len(tested) > 0.05).all(), sham


def test_demo_modules_hold_planted_genes(demo):
    truth = json.loads((demo / "resources" / "demo" / "ground_truth.json").read_text())
    module = pd.read_csv(
        demo / "results" / "microarray" / "modules" / "deep128" / "h3" / "asthma.tsv", sep="\t"
    )
    assert list(module.columns) == consensus.COLUMNS  # the consensus of the replicates
    assert (module["status"] == "scored").all() and (module["n_replicates"] == 2).all()
    assert module["stability"].isin([0, 0.5, 1]).all()  # the share of two replicates
    top = set(module.nsmallest(100, "rank")["gene"])
    planted = set(truth["diseases"]["asthma"]["module_genes"])
    assert len(top & planted) >= len(planted) / 3


def test_demo_renders_every_figure(demo):
    for stem in FIGURE_STEMS:
        pdf = (demo / "results" / "figures" / f"{stem}.pdf").read_bytes()
        png = (demo / "results" / "figures" / f"{stem}.png").read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000, stem
        assert png.startswith(b"\x89PNG") and len(png) > 10000, stem


def test_report_holds_every_figure_and_table(demo):
    """README's report command, run as printed in the finished demo."""
    result = run_documented(demo, ".venv/bin/snakemake --report report.html")
    assert result.returncode == 0, result.stderr[-2000:]
    html = (demo / "report.html").read_text()
    figures = [f"results/figures/{stem}.pdf" for stem in FIGURE_STEMS]
    figures += [f"results/figures/{stem}_table.tsv" for stem in FIGURE_STEMS if "gwas" in stem]
    tables = [
        f"results/{dataset}/{name}"
        for dataset in ("microarray", "rnaseq")
        for name in ("controls_analysis.tsv", "controls_summary.tsv", "modules.gmt")
    ]
    tables.append("results/microarray/external/multiple_sclerosis/gwas_enrichment.tsv")
    for path in figures + tables:
        # Each result is embedded under its path, with its name and caption.
        assert f'"{path}": {{"name": "{Path(path).name}"' in html, path


@pytest.mark.skipif(report_browser.browser() is None, reason="no headless Chromium on PATH")
def test_report_displays_every_figure_in_a_browser(demo, tmp_path):
    """Each figure's PNG, shown as its button shows it, decodes to an image in headless Chromium."""
    report = tmp_path / "report.html"
    result = snakemake(demo, "--report", str(report))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "never awaited" not in result.stderr
    html = report.read_text()
    stems = FIGURE_STEMS + ["supp_truth_recovery"]
    for stem in stems:  # grouped by figure: its PNG and PDF, with a caption
        assert f'"{stem}": ["results/figures/{stem}.pdf", "results/figures/{stem}.png"]' in html
    shown = report_browser.displayed_figures(report, tmp_path)
    assert sorted(shown) == sorted(f"results/figures/{stem}.png" for stem in stems)
    for path, (width, height) in shown.items():
        assert width > 500 and height > 200, path
    # Negative control: a figure whose image data is damaged does not display.
    png = html.index("base64,iVBORw0KGgo") + len("base64,")  # the first PNG's signature
    report.write_text(html[:png] + "AAAA" + html[png + 4000 :])
    assert sorted(report_browser.displayed_figures(report, tmp_path).values())[0] == [0, 0]


def test_tiny_test_config_runs_every_stage(tmp_path):
    """`.test/config.yaml`, the smallest configuration, runs end to end (checks, figures, report)."""
    result = snakemake(tmp_path, "--cores", "2", configfile=ROOT / ".test" / "config.yaml")
    assert result.returncode == 0, result.stderr[-4000:]
    checks = pd.read_csv(tmp_path / "results" / "checks" / "inputs.tsv", sep="\t")
    assert {"datasets.microarray.matrix", "network.links", "gwas.refgene"} <= set(checks["input"])
    for stem in FIGURE_STEMS:
        assert (
            (tmp_path / "results" / "figures" / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        )


def test_demo_gmt_lists_every_module_and_a_consensus_per_disease(demo):
    sets = {
        line.split("\t")[0]: line.split("\t")[2:]
        for line in (demo / "results" / "microarray" / "modules.gmt").read_text().splitlines()
    }
    consensus = {name: genes for name, genes in sets.items() if name.endswith("__consensus")}
    modules = {name: genes for name, genes in sets.items() if name not in consensus}
    # (h1, h2, h3 of the deep model, the shallow model, the naive baseline) x 6 diseases
    assert len(modules) == 5 * 6
    assert all(len(genes) == 100 for genes in modules.values())
    verdict = pd.read_csv(demo / "results" / "microarray" / "verdict.tsv", sep="\t")
    chosen = verdict[verdict["recommended"]]
    assert sorted(consensus) == sorted(f"{d}__consensus" for d in chosen["disease"])
    for row in chosen.itertuples():  # the recommended module's genes that most replicates share
        module = pd.read_csv(
            demo
            / "results"
            / "microarray"
            / "modules"
            / row.model
            / row.layer
            / f"{row.disease}.tsv",
            sep="\t",
        ).nsmallest(100, "rank")
        stable = module.loc[module["stability"] >= 0.5, "gene"]
        assert consensus[f"{row.disease}__consensus"] == list(stable), row
        assert 0 < len(stable) <= 100


def test_demo_verdict_follows_the_truth(demo):
    """Every disease gets one recommended module, replicate stability for the autoencoders (none for the
    naive baseline) and a flag that fires where the best deep layer holds less than half of the naive
    baseline's planted genes and stays quiet where it holds as many (the mixed regime's truth)."""
    verdict = pd.read_csv(demo / "results" / "microarray" / "verdict.tsv", sep="\t")
    truth = pd.read_csv(demo / "results" / "microarray" / "truth_recovery.tsv", sep="\t")
    assert len(verdict) == 5 * 6 and (verdict.groupby("disease")["recommended"].sum() == 1).all()
    autoencoders = verdict[~verdict["model"].str.startswith("naive")]
    assert (
        autoencoders["module_stability"].between(0, 1).all()
        and (autoencoders["n_splits"] == 10).all()
    )
    assert verdict.loc[verdict["model"].str.startswith("naive"), "module_stability"].isna().all()
    planted = truth[truth["n_planted"] > 0]
    share = planted.pivot_table(
        index="disease", columns="model", values="precision_at_n_planted", aggfunc="max"
    )
    flags = verdict.drop_duplicates("disease").set_index("disease")["deep_below_baseline"]
    flags = flags.reindex(share.index)
    assert flags[share["deep128"] < 0.5 * share["naive128"]].all(), (share, flags)
    assert not flags[share["deep128"] >= share["naive128"]].any(), (share, flags)


def test_finished_workflow_rerun_does_nothing(demo):
    result = snakemake(demo, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def planned_rules(result):
    """The rules of a dry run's plan."""
    return set(re.findall(r"^rule (\w+):", result.stdout + result.stderr, flags=re.M))


def rerun_scope_table() -> list[tuple[str, object, set[str], set[str] | None]]:
    """The rows of docs/architecture.md's rerun-scope table: key, new value, the rules an edit
    reruns and those it leaves alone (None: every other rule)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Rerun scope", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        key, value = cells[0].strip("`").split(": ", 1)
        reruns = set(re.findall(r"`(\w+)`", cells[1]))
        spared = None if cells[2] == "every other rule" else set(re.findall(r"`(\w+)`", cells[2]))
        rows.append((key, yaml.safe_load(value), reruns, spared))
    return rows


def test_each_edit_reruns_what_the_architecture_table_says(demo, tmp_path):
    """Rerun scope as a contract: on the finished demo, each edit of docs/architecture.md's table plans
    exactly the rules it lists (and the figures and targets downstream of them), or, where the table
    lists what it spares, none of those."""
    rows = rerun_scope_table()
    assert len(rows) >= 25
    downstream_only = {"all", "figure_gwas", "figure_ppi", "figure_reconstruction"}
    downstream_only |= {"figure_silhouette", "figure_truth", "figure_genesets", "modules_gmt"}
    configs = [write_config(tmp_path / f"{key}.yaml", **{key: value}) for key, value, *_ in rows]
    with ThreadPoolExecutor(2) as pool:  # dry runs are single-threaded
        results = list(pool.map(lambda c: snakemake(demo, "-n", configfile=c), configs))
    failures = []
    for (key, value, reruns, spared), result in zip(rows, results, strict=True):
        assert result.returncode == 0, (key, result.stderr[-2000:])
        plan = planned_rules(result) - {"all"}
        if spared is None:
            wrong = (plan - downstream_only) ^ reruns
        else:
            wrong = (reruns - plan) | (plan & spared)
        if wrong:
            failures.append(f"{key}: {value!r} planned {sorted(plan)}; off: {sorted(wrong)}")
    assert not failures, "\n".join(failures)


def test_one_figure_target_rebuilds_only_what_it_needs(demo):
    (demo / "results" / "figures" / "fig3_gwas_enrichment.pdf").unlink()
    result = snakemake(demo, "-n", "fig3")
    plan = result.stdout + result.stderr
    assert result.returncode == 0 and "figure_gwas" in plan
    assert "rule train" not in plan and "reverse_training" not in plan


def test_demo_controls_analysis_tests_every_study(demo):
    summary = pd.read_csv(demo / "results" / "microarray" / "controls_summary.tsv", sep="\t")
    table = pd.read_csv(demo / "results" / "microarray" / "controls_analysis.tsv", sep="\t")
    planted = table[table["disease"].isin(PLANTED)]
    assert not (planted["disease_better"] & planted["tie"]).any()
    tested = table["status"] == "tested"
    assert tested.all()  # every demo study has controls and every disease enough GWAS genes
    assert summary.loc[0, "n_studies"] == len(table) and summary.loc[0, "n_skipped"] == 0
    assert summary.loc[0, "n_ties"] == table["tie"].sum()
    # The paper's finding (disease modules beat their studies' control modules) held on the demo with
    # the scaled-axis contrast score; with the default score in log2 units it is 5 of 10 studies,
    # not significant (docs/method.md, "Controls analysis"). The sign test is checked in
    # tests/validate/test_controls.py; here the demo must give it a p-value.
    assert 0 < summary.loc[0, "p_value"] <= 1


def test_demo_external_dataset_module_is_enriched_for_its_gwas_genes(demo):
    folder = demo / "results" / "microarray" / "external" / "multiple_sclerosis"
    table = pd.read_csv(folder / "gwas_enrichment.tsv", sep="\t")
    h3 = table[(table["layer"] == "h3") & (table["reference"] == "normal")]
    assert h3["p_value"].item() < 0.01
    truth = json.loads((demo / "resources" / "demo" / "ground_truth.json").read_text())
    planted = set(truth["external"]["multiple_sclerosis"]["module_genes"])
    # the layer's module and the naive baseline's, which the external verdict compares it with
    for stem in ("h3", "naive128"):
        module = pd.read_csv(folder / "modules" / stem / "vs_normal.tsv", sep="\t")
        assert len(set(module.nsmallest(100, "rank")["gene"]) & planted) >= len(planted) / 3, stem
    naive = table[(table["model"] == "naive128") & (table["reference"] == "normal")]
    assert naive["layer"].tolist() == ["h1"] and naive["status"].item() == "tested"


def test_demo_sweeps_widths_with_live_nodes(demo):
    """Fig. 2's sweep holds four widths at both depths, every model passes the reconstruction gate, and
    the analysed model keeps (nearly) all of its first-layer nodes alive (26 of 128 were flat with zero
    initial biases and the demo's fixed 60 epochs)."""
    table = pd.read_csv(demo / "results" / "microarray" / "reconstruction.tsv", sep="\t")
    test = table[table["split"] == "test"]
    for depth in ("deep", "shallow"):
        assert test.loc[test["depth"] == depth, "width"].nunique() >= 4
    assert test["reconstruction_ok"].astype(str).str.lower().eq("true").all(), test.to_string()
    assert test.set_index("model").loc["deep128", "n_flat_h1"] < 26


def test_the_demo_exports_a_bundle_of_its_analysed_model(demo):
    """README's bundle command, as printed: each dataset's analysed model in a bundle whose manifest
    holds, whose weights and gene scale are the run's, and whose card says how it was made."""
    result = run_documented(demo, ".venv/bin/snakemake --cores 2 bundle")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for dataset in ("microarray", "rnaseq"):
        folder = demo / layout.bundle_dir(dataset, "deep128")
        assert bundle.verify_bundle(folder)["dataset"] == dataset
        run_layers = np.load(demo / layout.model_file(dataset, "deep128", "network"))
        bundled = np.load(folder / "network.npz")
        assert sorted(bundled.files) == sorted(run_layers.files)
        assert all(np.array_equal(bundled[k], run_layers[k]) for k in run_layers.files)
        genes = (demo / layout.normalized_dir(dataset) / "genes.tsv").read_text()
        assert (folder / "genes.tsv").read_text() == genes
        card = (folder / "README.md").read_text()
        assert f"# deep128 trained on {dataset}" in card and "## Known limits" in card
        assert (demo / layout.bundle_archive(dataset, "deep128")).stat().st_size > 10_000


def analyse_against_bundle(demo, workdir, dataset="microarray", external=None, **changes):
    """.test/bundle/config.yaml (with ``changes`` to its multiple sclerosis dataset) run in
    ``workdir``, which holds only the demo's bundle of ``dataset``, handed over, and the demo's source
    files (the external dataset, the GWAS files): no compendium result of the demo run. ``external``
    names another of the demo's external datasets to analyse instead (its ARCHS4 series, for the
    rnaseq bundle)."""
    if not (demo / layout.bundle_archive(dataset, "deep128")).exists():
        exported = snakemake(demo, "--cores", "2", "bundle")
        assert exported.returncode == 0, exported.stderr[-3000:]
    archive = workdir / layout.bundle_archive(dataset, "deep128")
    archive.parent.mkdir(parents=True)
    shutil.copyfile(demo / layout.bundle_archive(dataset, "deep128"), archive)
    (workdir / "resources").symlink_to(demo / "resources")
    config = yaml.safe_load((ROOT / ".test" / "bundle" / "config.yaml").read_text())
    config["bundle"] = str(layout.bundle_archive(dataset, "deep128"))
    config["external"]["multiple_sclerosis"] |= changes
    if external:
        demo_config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
        spec = demo_config["external"][external]
        spec["matrix"] = demo_config["datasets"][spec.pop("compendium")]["matrix"]
        config["external"] = {external: spec}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return snakemake(workdir, "--cores", "2", configfile=workdir / "config.yaml")


def jobs_run(result):
    """The rules of a Snakemake run's job table."""
    table = (result.stdout + result.stderr).split("Job stats:")[1].split("total")[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip()}


@pytest.mark.parametrize(
    "dataset, external, n_modules",
    [("microarray", "multiple_sclerosis", 8), ("rnaseq", "asthma_series", 4)],
)
def test_an_analysis_against_the_demo_bundle_trains_nothing_and_matches_the_run(
    demo, tmp_path, dataset, external, n_modules
):
    """.test/bundle: the demo's multiple sclerosis dataset analysed against the exported microarray
    bundle (log values), and the demo's asthma series of the ARCHS4 file against the rnaseq bundle
    (counts, normalized with the bundle's reference), each in a folder without the compendium, train
    and normalize nothing, and their modules, GWAS table (with the matched null) and verdict are those
    of the same dataset analysed inside the demo run."""
    result = analyse_against_bundle(
        demo, tmp_path, dataset, None if external == "multiple_sclerosis" else external
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert jobs_run(result) == {
        "all",
        "unpack_bundle",
        "check_gwas",
        "check_external",
        "check_external_scale",
        "check_inputs",
        "gwas_genes",
        "external_dataset",
        "external_verdict",
        "figure_gwas",
    }
    ours = tmp_path / layout.external_file("bundle", external, "modules")
    theirs = demo / layout.external_file(dataset, external, "modules")
    files = sorted(p.relative_to(theirs) for p in theirs.rglob("*.tsv"))
    assert len(files) == n_modules  # (3 layers and the naive baseline) x the reference groups
    assert sorted(p.relative_to(ours) for p in ours.rglob("*.tsv")) == files
    for name in files:
        assert (ours / name).read_text() == (theirs / name).read_text(), name
    for kind in ("gwas_enrichment", "verdict"):
        assert (tmp_path / layout.external_file("bundle", external, kind)).read_text() == (
            demo / layout.external_file(dataset, external, kind)
        ).read_text(), kind
    if external == "multiple_sclerosis":  # its GWAS genes are planted in its module: found
        table = layout.external_file("bundle", external, "gwas_enrichment")
        gwas = pd.read_csv(tmp_path / table, sep="\t")
        assert (gwas["empirical_p_value"] < 0.05).all(), gwas.to_string()
    assert (tmp_path / layout.figure_file("bundle_gwas_enrichment", "png")).stat().st_size > 10_000
    again = snakemake(tmp_path, "--cores", "2", configfile=tmp_path / "config.yaml")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_a_published_bundle_is_fetched_by_the_download_rule_before_anything_reads_it(tmp_path):
    """`bundle: resources/downloads/<name>` with its URL and SHA-256 in `downloads`: the plan
    downloads it, unpacks it, and analyses the dataset with it; nothing is trained."""
    config = yaml.safe_load((ROOT / ".test" / "bundle" / "config.yaml").read_text())
    config["bundle"] = "resources/downloads/deep512.tar.gz"
    config["downloads"] = {
        "deep512.tar.gz": {"url": "https://example.org/deep512.tar.gz", "sha256": "a" * 64}
    }
    paths = [config["gwas"]["gwas_catalog"], config["gwas"]["refgene"]]
    paths += [config["external"]["multiple_sclerosis"][k] for k in ("matrix", "samples")]
    for path in paths:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    plan = snakemake(tmp_path, "--dry-run", configfile=tmp_path / "config.yaml")
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert {"download", "unpack_bundle", "external_dataset"} <= jobs_run(plan)
    assert not jobs_run(plan) & {"simulate", "normalize", "train", "lightup"}
    assert "resources/downloads/deep512.tar.gz" in plan.stdout + plan.stderr


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"values": "counts"},
            "holds counts (values: counts) but the compendium is not an RNA-seq",
        ),
        ({"matrix": "half"}, "are in the dataset, fewer than min_gene_overlap = 80%"),
    ],
)
def test_data_a_bundle_cannot_analyse_is_refused_before_reverse_training(
    demo, tmp_path, change, message
):
    """Counts given to a microarray bundle; a matrix with half of the bundle's genes: one line
    naming the matrix, and no reverse training started."""
    if change.get("matrix") == "half":
        source = demo / "resources/demo/external/multiple_sclerosis_expression.tsv"
        lines = source.read_text().splitlines(keepends=True)
        (tmp_path / "half.tsv").write_text("".join(lines[: 1 + (len(lines) - 1) // 2]))
        change = {"matrix": str(tmp_path / "half.tsv")}
    result = analyse_against_bundle(demo, tmp_path / "run", **change)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    matrix = change.get("matrix", "resources/demo/external/multiple_sclerosis_expression.tsv")
    assert f"{matrix}: " in output and message in output, output[-3000:]
    assert not re.search(r"^(local)?rule external_dataset:", output, flags=re.M)
    table = layout.external_file("bundle", "multiple_sclerosis", "gwas_enrichment")
    assert not (tmp_path / "run" / table).exists()


# How the tests run each shell command that README.md, config/README.md and docs/*.md tell a user to
# run (the first test below checks that this is every one of them): "nothing to do" runs it as
# printed in the finished demo and expects no job to run; "runs" runs it there as printed, exit 0;
# "plans" adds --dry-run (it needs the real sources); "starts" (a benchmark: minutes to hours) adds
# --help and expects its documented options; "ci: …" is run by .ci/run; "tests/…" names the test or
# fixture that runs it.
DOCUMENTED = {
    "make demo": "nothing to do",
    "make install": "runs",
    "make test": "ci: make test",
    "make lint": "tests/workflow/test_workflow.py::test_lint_is_clean",
    "snakemake --lint": "tests/workflow/test_workflow.py::test_lint_is_clean",
    ".venv/bin/snakemake --cores 8": "nothing to do",
    ".venv/bin/snakemake --cores 2 fig3": "nothing to do",
    "snakemake --cores 2": "nothing to do",
    "snakemake check_inputs": "nothing to do",
    "snakemake --cores N check_inputs --configfile my.yaml": "nothing to do",
    "snakemake --cores 1 check_inputs --configfile my.yaml": "nothing to do",
    ".venv/bin/snakemake --unlock": "runs",
    ".venv/bin/snakemake --cores 2 bundle": (
        "tests/workflow/test_workflow.py::test_the_demo_exports_a_bundle_of_its_analysed_model"
    ),
    "snakemake bundle": (
        "tests/workflow/test_workflow.py::test_the_demo_exports_a_bundle_of_its_analysed_model"
    ),
    ".venv/bin/snakemake --cores 2 --configfile .test/bundle/config.yaml": (
        "tests/workflow/test_workflow.py::"
        "test_an_analysis_against_the_demo_bundle_trains_nothing_and_matches_the_run"
    ),
    ".venv/bin/snakemake --report report.html": (
        "tests/workflow/test_workflow.py::test_report_holds_every_figure_and_table"
    ),
    '.venv/bin/python -c "import sys, yaml; yaml.safe_load(open(sys.argv[1]))" my.yaml': "runs",
    "snakemake --cores 1 list_series_groups": "runs",
    "snakemake --cores 1 list_series_groups --configfile my.yaml": "runs",
    "snakemake --cores 8 --configfile myconfig.yaml --dry-run": "runs",
    ".venv/bin/snakemake --cores 16 --configfile config/paper.yaml": "plans",
    ".venv/bin/snakemake --profile profiles/slurm --configfile config/paper.yaml": "plans",
    "bash tests/slurm/start_cluster.sh": "ci: bash tests/slurm/start_cluster.sh",
    "pytest tests/workflow/test_slurm.py": "tests/workflow/test_slurm.py::test_slurm_profile_runs_a_figure_target",
    "python .test/real/build.py": "tests/workflow/test_real_data.py::real_run",
    "snakemake --cores 2 --configfile .test/real/bladder/config.yaml --directory .test/real/bladder": (
        "tests/workflow/test_real_data.py::real_run"
    ),
    "python benchmarks/demo.py": "starts",
    "python benchmarks/ppi.py": "starts",
    "python benchmarks/ppi.py --quick": "starts",
    "python benchmarks/training.py": "starts",
    "python benchmarks/training.py --small": "starts",
    "python benchmarks/saturation.py": "starts",
    "python benchmarks/reverse_training.py": "starts",
    "python benchmarks/reverse_training.py --quick": "starts",
    "python benchmarks/archs4.py": "starts",
    "python benchmarks/convergence.py": "starts",
    "python benchmarks/convergence.py --sizes 250 --batch-size 64": "starts",
    "python benchmarks/convergence.py --sizes 250 --learning-rate 2e-4": "starts",
    "python benchmarks/convergence.py --sizes 30000 --max-steps 600000": "starts",
    "python benchmarks/convergence.py --quick --sizes 2000": "starts",
    "python benchmarks/bundle.py": "starts",
    "python benchmarks/bundle.py --quick": "starts",
    "python benchmarks/paper_scale.py": "starts",
    "python benchmarks/paper_scale.py --quick": "starts",
    "python benchmarks/small_compendium.py": "starts",
    "python benchmarks/small_compendium.py --quick": "starts",
    "python benchmarks/small_compendium.py --real": "starts",
}
COMMAND_PREFIXES = ("snakemake ", ".venv/bin/", "make ", "python ", "bash ", "pytest ")


def documented_commands():
    """Every command line of a code block, and every inline code span, that starts like a command."""
    found = set()
    for path in [ROOT / "README.md", ROOT / "config" / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = path.read_text()
        blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.M | re.S)
        lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
        spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))
        found |= {command for command in lines + spans if command.startswith(COMMAND_PREFIXES)}
    return found


def test_documented_commands_are_all_run():
    """A command added to the docs needs a way to be run here; a test named for one exists."""
    assert documented_commands() == set(DOCUMENTED)
    ci = (ROOT / ".ci" / "run").read_text()
    for how in DOCUMENTED.values():
        if how.startswith("ci: "):
            assert how.removeprefix("ci: ") in ci, how
        elif how.startswith("tests/"):
            path, name = how.split("::")
            assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), flags=re.M), how


@pytest.mark.parametrize(
    "command",
    [command for command, how in DOCUMENTED.items() if how in ("nothing to do", "runs", "plans")],
)
def test_documented_command_runs_as_printed(demo, command):
    how = DOCUMENTED[command]
    if how == "nothing to do":  # other tests of the module remove outputs to see them rebuilt
        finished = snakemake(demo, "--cores", "2")
        assert finished.returncode == 0, finished.stderr[-2000:]
    result = run_documented(demo, command + (" --dry-run" if how == "plans" else ""))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    if how == "nothing to do":
        assert "Nothing to be done" in output, output[-3000:]


def test_documented_benchmarks_start():
    commands = [command for command, how in DOCUMENTED.items() if how == "starts"]
    for script in sorted({command.split()[1] for command in commands}):
        result = subprocess.run(
            [sys.executable, script, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=PATH_ENV,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        for command in commands:
            if command.split()[1] == script:
                for option in command.split()[2:]:
                    if option.startswith("--"):  # not the values given to options
                        assert option in result.stdout, (command, option)
