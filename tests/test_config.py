import copy
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deepmodules.config import check_config, validate_config
from deepmodules.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "config" / "schema.yaml"


@pytest.fixture
def demo():
    with open(ROOT / "config" / "config.yaml") as handle:
        return yaml.safe_load(handle)


def demo_inputs(demo):
    """The demo's input files, as the paths its simulate rule makes."""
    produced = {spec["matrix"] for spec in demo["datasets"].values()}
    produced |= {demo["datasets"]["microarray"]["annotation"], demo["gwas"]["refgene"]}
    produced |= {demo["network"]["links"], demo["network"]["info"], demo["gwas"]["gwas_catalog"]}
    return produced | {
        spec[key]
        for spec in demo["external"].values()
        for key in ("matrix", "samples")
        if key in spec
    }


@pytest.mark.parametrize(
    "name",
    ["config/config.yaml", "config/paper.yaml", ".test/config.yaml", ".test/bundle/config.yaml"],
)
def test_shipped_configs_are_valid(name):
    with open(ROOT / name) as handle:
        config = yaml.safe_load(handle)
    validate_config(config, SCHEMA)
    assert config["training"]["beta_2"] == 0.999  # default filled in from the schema


def test_schema_gives_description_and_default_for_every_optional_key():
    schema = yaml.safe_load(SCHEMA.read_text())

    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            if "$ref" in sub:
                sub = {**schema["definitions"][sub["$ref"].split("/")[-1]], **sub}
            assert "description" in sub, f"{path}{key} has no description"
            # An optional section with required keys of its own is skipped when absent.
            required = key in node.get("required", []) or bool(sub.get("required"))
            # the compendia, or a bundle in their place: one of them is required (check_config)
            required |= not path and key in ("datasets", "network", "diseases", "bundle")
            assert required or "default" in sub, f"{path}{key} has no default"
            walk(sub, f"{path}{key}.")

    walk(schema, "")


def test_schema_error_is_one_line_naming_the_key(demo):
    bad = copy.deepcopy(demo)
    bad["training"]["epochs"] = 0
    with pytest.raises(InputError) as error:
        validate_config(bad, SCHEMA)
    message = str(error.value)
    assert "training.epochs" in message and "\n" not in message


def test_analysis_model_must_be_trained(demo):
    validate_config(demo, SCHEMA)
    demo["models"]["analysis"] = "deep1024"
    with pytest.raises(InputError, match="models.analysis"):
        check_config(demo, produced=set())


def test_sweep_datasets_must_be_configured_datasets(demo):
    validate_config(demo, SCHEMA)
    demo["models"]["sweep_datasets"] = ["rna_seq"]
    with pytest.raises(
        InputError, match="models.sweep_datasets: dataset 'rna_seq' is not configured"
    ):
        check_config(demo, produced=set())


@pytest.mark.parametrize(
    ("key", "model_id", "problem"),
    [
        ("analysis", "shallow64", "is not a deep model"),
        ("shallow", "deep64", "is not a shallow model"),
        ("shallow", "shallow64-sparse", "variants are defined for deep models only"),
        ("analysis", "deep64-wide", "is not a known architecture"),
    ],
)
def test_model_ids_are_checked_by_the_one_model_id_pattern(demo, key, model_id, problem):
    validate_config(demo, SCHEMA)
    demo["models"]["sweep"].append(model_id)
    demo["models"][key] = model_id
    with pytest.raises(InputError, match=problem):
        check_config(demo, produced=set())


def test_well_formed_model_ids_pass(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where none of the demo's input files exist
    validate_config(demo, SCHEMA)
    demo["models"]["sweep"] += ["deep64-funnel", "shallow64"]
    demo["models"]["analysis"], demo["models"]["shallow"] = "deep64-funnel", "shallow64"
    with pytest.raises(
        InputError, match="does not exist"
    ):  # past the model ids, at the input files
        check_config(demo, produced=set())


def test_missing_input_file_is_named(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    validate_config(demo, SCHEMA)
    demo["simulate"]["enabled"] = False
    with pytest.raises(InputError, match="does not exist"):
        check_config(demo, produced=set())


def test_paper_score_needs_the_naive_network(demo, tmp_path, monkeypatch):
    """|z_p| depends on the output bias, which the naive baseline's means do not determine."""
    monkeypatch.chdir(tmp_path)
    validate_config(demo, SCHEMA)
    demo["reverse_training"]["score"] = "paper"
    with pytest.raises(InputError, match="reverse_training.naive_fit.*naive_fit: network"):
        check_config(demo, produced=set())
    demo["reverse_training"]["naive_fit"] = "network"
    with pytest.raises(InputError, match="does not exist"):  # past the check, at the input files
        check_config(demo, produced=set())


def test_disgenet_must_be_supplied(demo):
    validate_config(demo, SCHEMA)
    demo["gwas"]["source"] = "disgenet"
    with pytest.raises(InputError, match="DisGeNET"):
        check_config(demo, produced=set())


def test_missing_gene_id_table_is_named(demo, tmp_path):
    validate_config(demo, SCHEMA)
    table = tmp_path / "ensembl_to_symbol.tsv"
    demo["datasets"]["microarray"]["gene_ids"] = {
        "mapping": str(table),
        "from": "ensembl_gene_id",
        "to": "hgnc_symbol",
    }
    validate_config(demo, SCHEMA)
    produced = demo_inputs(demo)
    with pytest.raises(InputError, match="datasets.microarray.gene_ids.mapping: file .* does not"):
        check_config(demo, produced=produced)
    table.write_text("ensembl_gene_id\thgnc_symbol\n")
    check_config(demo, produced=produced)


@pytest.mark.parametrize(
    "section, key, value",
    [
        ("models", "sweep", ["deep128", "shallow128", "deep128"]),
        ("reverse_training", "seeds", [1, 2, 1]),
        ("ppi", "ks", [25, 50, 25]),
    ],
)
def test_schema_refuses_duplicates_that_would_repeat_results(demo, section, key, value):
    demo[section][key] = value
    with pytest.raises(InputError, match=rf"{section}\.{key}: .* has non-unique elements"):
        validate_config(demo, SCHEMA)
    demo[section][key] = list(dict.fromkeys(value))  # the same list without the repeat passes
    validate_config(demo, SCHEMA)


@pytest.mark.parametrize("where, key", [("diseases", "asthma"), ("external", "multiple_sclerosis")])
@pytest.mark.parametrize("terms", ["gwas_terms", "disgenet_terms"])
def test_schema_refuses_a_disease_term_listed_twice(demo, where, key, terms):
    demo[where][key][terms] = ["EFO_0000270", "EFO_0000270"]
    with pytest.raises(InputError, match=rf"{where}\.{key}\.{terms}: .* has non-unique elements"):
        validate_config(demo, SCHEMA)
    demo[where][key][terms] = ["EFO_0000270"]
    validate_config(demo, SCHEMA)


def test_external_case_among_its_references_is_refused(demo):
    validate_config(demo, SCHEMA)
    demo["external"]["multiple_sclerosis"]["references"].append("multiple sclerosis")
    with pytest.raises(InputError, match="case group 'multiple sclerosis' is also a reference"):
        check_config(demo, set())


def test_gene_set_sizes_out_of_order_are_refused(demo):
    demo["genesets"] = {"min_size": 600, "max_size": 500}
    validate_config(demo, SCHEMA)
    with pytest.raises(InputError, match="min_size = 600 is above max_size = 500"):
        check_config(demo, set())


def test_download_url_scheme_that_cannot_be_fetched_is_refused(demo):
    demo["downloads"] = {"links.txt.gz": {"url": "ftp://ftp.example.org/links.txt.gz"}}
    with pytest.raises(InputError, match=r"downloads\.links\.txt\.gz\.url: .* does not match"):
        validate_config(demo, SCHEMA)
    demo["downloads"]["links.txt.gz"]["url"] = "https://example.org/links.txt.gz"
    validate_config(demo, SCHEMA)


def test_one_architecture_spelled_twice_is_refused(demo):
    demo["models"]["sweep"] = [*demo["models"]["sweep"], "deep032"]
    validate_config(demo, SCHEMA)
    with pytest.raises(InputError, match="'deep032' and 'deep32' are the same architecture"):
        check_config(demo, set())


def test_a_disease_labelled_as_the_controls_is_refused(demo):
    demo["diseases"]["healthy"] = {"label": "normal", "gwas_terms": ["EFO_0000270"]}
    validate_config(demo, SCHEMA)
    with pytest.raises(
        InputError, match=r"diseases\.healthy\.label: 'normal' is the control label"
    ):
        check_config(demo, set())


def test_a_directory_where_a_file_belongs_is_named(demo, tmp_path):
    validate_config(demo, SCHEMA)
    demo["network"]["links"] = str(tmp_path)
    with pytest.raises(InputError, match=r"network\.links: .* is a directory, not a file"):
        check_config(demo, produced=set())


def test_upper_case_url_schemes_and_digests_are_accepted(demo):
    digest = "AB" * 32
    demo["downloads"] = {
        "links.txt.gz": {"url": "HTTP://example.org/links.txt.gz", "sha256": digest}
    }
    validate_config(demo, SCHEMA)


def test_every_test_docs_reliability_names_exists():
    """Each row of docs/reliability.md names the test that shows it: the test must exist."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    named = re.findall(r"`(test_\w+\.py)::(test_\w+)", text)
    assert len(named) > 60
    missing = [
        f"{module}::{test}"
        for module, test in named
        if not re.search(
            rf"^def {test}\(", next((ROOT / "tests").rglob(module)).read_text(), flags=re.M
        )
    ]
    assert not missing, missing


def test_the_documented_yaml_check_names_the_line_of_a_syntax_error(tmp_path):
    """README's command for "Config file is not valid JSON or YAML", run as printed, names the line."""
    readme = (ROOT / "README.md").read_text()
    command = re.search(r'`(\.venv/bin/python -c "import sys, yaml;[^`]*) my\.yaml`', readme).group(
        1
    )
    (tmp_path / "my.yaml").write_text("training:\n  epochs: 10\n   batch_size: 32\n")
    python = str(ROOT / ".venv" / "bin" / "python")
    argv = shlex.split(command)
    argv[0] = python if Path(python).exists() else sys.executable
    result = subprocess.run([*argv, "my.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0 and "line 3, column" in result.stderr, result.stderr


def test_max_genes_below_the_genes_ppi_needs_is_refused(demo):
    demo["datasets"]["rnaseq"]["max_genes"] = 5
    validate_config(demo, SCHEMA)
    with pytest.raises(
        InputError, match=r"datasets\.rnaseq\.max_genes: keeps 5 genes, fewer than the 100"
    ):
        check_config(demo, set())
    demo["network"]["min_shared_genes"] = 5
    check_config(demo, demo_inputs(demo))


@pytest.fixture
def against_bundle():
    """.test/bundle/config.yaml, defaults filled in."""
    config = yaml.safe_load((ROOT / ".test" / "bundle" / "config.yaml").read_text())
    validate_config(config, SCHEMA)
    return config


def bundle_inputs(config):
    """The paths an analysis against a bundle reads, as made by other runs."""
    produced = {config["bundle"], config["gwas"]["refgene"], config["gwas"]["gwas_catalog"]}
    return produced | {
        spec[k] for spec in config["external"].values() for k in ("matrix", "samples")
    }


def test_an_analysis_against_a_bundle_needs_no_compendium(against_bundle):
    check_config(against_bundle, bundle_inputs(against_bundle))
    assert against_bundle["datasets"] == {} and against_bundle["diseases"] == {}
    assert against_bundle["external"]["multiple_sclerosis"]["compendium"] == "bundle"


def test_a_config_without_compendia_or_bundle_is_refused(against_bundle):
    produced = bundle_inputs(against_bundle)
    del against_bundle["bundle"]
    with pytest.raises(InputError, match="config: datasets: is missing.*or a trained model"):
        check_config(against_bundle, produced)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"datasets": {"x": {"format": "emtab", "matrix": "m.zip"}}},
            "config: datasets: is given beside bundle",
        ),
        ({"simulate": {"enabled": True}}, "config: simulate.enabled: is true beside bundle"),
        (
            {"external": {"ms": {"compendium": "microarray"}}},
            "config: external.ms.compendium: names dataset 'microarray'",
        ),
        (
            {"external": {"ms": {"source": "archs4", "series": "GSE1"}}},
            "config: external.ms.matrix: is missing: against a bundle",
        ),
        (
            {"bundle": "resources/downloads/deep512.tar.gz"},
            "config: downloads.deep512.tar.gz.sha256: is not set",
        ),
    ],
)
def test_a_bundle_analysis_that_cannot_run_is_refused_before_any_job(
    against_bundle, change, message
):
    config = copy.deepcopy(against_bundle)
    if "external" in change:
        spec = config["external"].pop("multiple_sclerosis")
        for key in ("matrix", "samples"):
            if change["external"]["ms"].get("source") == "archs4":
                spec.pop(key)
        config["external"]["ms"] = {**spec, **change["external"]["ms"]}
    elif "simulate" in change:
        config["simulate"]["enabled"] = True
    else:
        config |= change
    if "downloads" in message:
        config["downloads"] = {
            "deep512.tar.gz": {"url": "https://x.org/deep512.tar.gz", "sha256": None}
        }
    with pytest.raises(InputError, match=re.escape(message)):
        check_config(config, bundle_inputs(against_bundle) | {config["bundle"]})


def test_an_external_gene_id_table_is_checked_like_a_compendiums(demo):
    """`external.*.gene_ids` takes the compendium's schema (min_mapped filled in) and a missing
    table is named before anything runs."""
    config = demo
    spec = config["external"]["multiple_sclerosis"]
    spec["gene_ids"] = {"mapping": "nowhere/gpl6947.tsv", "from": "ID", "to": "Symbol"}
    validate_config(config, SCHEMA)
    assert spec["gene_ids"]["min_mapped"] == 0.5
    with pytest.raises(
        InputError, match=r"external\.multiple_sclerosis\.gene_ids\.mapping: file nowhere/gpl6947"
    ):
        check_config(config, produced=demo_inputs(config))
