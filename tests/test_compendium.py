import numpy as np
import pandas as pd
import pytest

from deepmodules import compendium
from deepmodules import simulate as sim
from deepmodules.errors import InputError
from tests.conftest import SMALL


@pytest.mark.parametrize("dataset", ["microarray", "rnaseq"])
def test_prepare_writes_a_normalized_split_compendium(config, dataset, tmp_path):
    spec = config["datasets"][dataset]
    data = compendium.prepare(spec, config["diseases"], seed=1, outdir=tmp_path)
    loaded = compendium.load(tmp_path)
    assert loaded.values.shape == (SMALL[f"n_{dataset}_samples"], len(loaded.genes))
    assert float(loaded.values.min()) == 0.0 and float(loaded.values.max()) == 1.0
    np.testing.assert_array_equal(loaded.values.min(axis=0), 0.0)
    assert set(loaded.samples["split"]) == {"train", "test"}
    assert (loaded.samples["split"] == "test").mean() == pytest.approx(spec["test_size"], abs=0.01)
    assert set(sim.DISEASES[d]["label"] for d in config["diseases"]) <= set(
        loaded.samples["disease"]
    )
    assert loaded.genes == data.genes


def test_too_few_cases_are_skipped_and_a_misspelt_label_is_refused_before_writing(
    config, tmp_path, caplog
):
    spec = {**config["datasets"]["microarray"], "min_cases": SMALL["cases_per_study"] + 1}
    compendium.prepare(spec, config["diseases"], seed=1, outdir=tmp_path / "out")
    assert "fewer than min_cases" in caplog.text
    diseases = {**config["diseases"], "asthma": {**config["diseases"]["asthma"], "label": "Asthma"}}
    with pytest.raises(InputError, match="set diseases.asthma.label to 'asthma'"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def write_matrix(path, values, genes, samples):
    table = pd.DataFrame(values.T, index=pd.Index(genes, name="Hybridization REF"), columns=samples)
    table.to_csv(path, sep="\t")


def small_emtab(tmp_path, values):
    """A three-gene E-MTAB-style matrix and SDRF with one disease of 12 samples."""
    samples = [f"S{i}" for i in range(len(values))]
    write_matrix(tmp_path / "matrix.txt", values, ["A", "B", "C"], samples)
    sdrf = pd.DataFrame(
        {
            "Assay Name": samples,
            "Characteristics[organism part]": "blood",
            "Characteristics[disease]": ["asthma"] * 12 + ["normal"] * (len(samples) - 12),
            "Characteristics[study]": "S1",
        }
    )
    sdrf.to_csv(tmp_path / "sdrf.txt", sep="\t", index=False)
    spec = {
        "format": "emtab",
        "matrix": str(tmp_path / "matrix.txt"),
        "matrix_member": None,
        "annotation": str(tmp_path / "sdrf.txt"),
        "columns": {
            "sample": "Assay Name",
            "cell_type": "Characteristics[organism part]",
            "disease": "Characteristics[disease]",
            "study": "Characteristics[study]",
        },
        "control_label": "normal",
        "test_size": 0.25,
        "drop_constant_genes": False,
        "min_cases": 10,
    }
    return spec, {"asthma": {"label": "asthma"}}


def test_nan_matrix_is_refused(tmp_path):
    values = np.random.default_rng(0).random((20, 3))
    values[3, 1] = np.nan
    spec, diseases = small_emtab(tmp_path, values)
    with pytest.raises(InputError, match="matrix.txt: 1 genes have missing"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_constant_genes_are_refused_or_dropped(tmp_path):
    values = np.random.default_rng(0).random((20, 3))
    values[:, 2] = 5.0
    spec, diseases = small_emtab(tmp_path, values)
    with pytest.raises(InputError, match="1 genes are constant .*drop_constant_genes"):
        compendium.prepare(spec, diseases, seed=1, outdir=tmp_path / "out")
    data = compendium.prepare({**spec, "drop_constant_genes": True}, diseases, 1, tmp_path / "ok")
    assert data.genes == ["A", "B"]


def test_unknown_disease_lists_the_labels_present(tmp_path):
    spec, _ = small_emtab(tmp_path, np.random.default_rng(0).random((20, 3)))
    with pytest.raises(InputError, match="labels here: asthma, normal"):
        compendium.prepare(spec, {"lupus": {"label": "lupus"}}, 1, tmp_path / "out")
