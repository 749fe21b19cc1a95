"""The on-disk layout of intermediate results, as the rules build it and the package reads it."""

from deepmodules import layout


def test_module_inputs_come_back_as_model_layer_disease_in_their_order():
    pairs = [("deep512", "h1"), ("deep512-sparse", "h3"), ("naive512", "h1")]
    named = layout.module_inputs("microarray", pairs, ["asthma", "obesity"])
    assert list(named.values())[0] == "results/microarray/modules/deep512/h1/asthma.tsv"
    # other named inputs of the rule are passed over
    items = [("gwas", "results/gwas/gwas_genes.tsv"), *named.items(), ("genes", "genes.tsv")]
    modules = layout.modules_of(items)
    assert [m[:3] for m in modules] == [
        (model, layer, disease) for model, layer in pairs for disease in ["asthma", "obesity"]
    ]
    assert all(path == layout.module_file("microarray", *key) for *key, path in modules)


def test_module_keys_do_not_depend_on_the_file_paths():
    """A module moved elsewhere still reads as its model, layer and disease."""
    key = layout.module_key("deep512", "h2", "crohns_disease")
    assert layout.modules_of({key: "/elsewhere/x.tsv"}) == [
        ("deep512", "h2", "crohns_disease", "/elsewhere/x.tsv")
    ]
    assert layout.modules_of({"table": "results/microarray/gwas_enrichment.tsv"}) == []


def test_folders_hold_the_files_the_rules_name():
    files = layout.normalized_files(layout.normalized_dir("rnaseq"))
    assert {path.name for path in files.values()} == set(layout.NORMALIZED.values())
    assert layout.normalized_folder(files["expression"]) == files["genes"].parent
    model = layout.model_file("rnaseq", "deep64", "model")
    assert model == "results/rnaseq/models/deep64/model.keras"
    assert layout.checkpoint_dir(model).as_posix() == "results/rnaseq/models/deep64/checkpoint"
    assert layout.lightup_file("rnaseq", "deep64", "h2", "rankings") == (
        "results/rnaseq/lightup/deep64/h2.rankings.tsv.gz"
    )


def test_an_external_module_is_named_after_its_reference_group():
    path = layout.external_module_file(
        "results/a/external/ms/modules", "h3", "Healthy control (CSF)"
    )
    assert path.as_posix() == "results/a/external/ms/modules/h3/vs_healthy_control_csf.tsv"
    assert layout.external_module_file("m", "h1", "normal").name == "vs_normal.tsv"
    naive = layout.external_module_file("m", "h1", "normal", naive="naive64")
    assert naive.as_posix() == "m/naive64/vs_normal.tsv"
