import numpy as np
import pandas as pd
import pytest

from deepmodules.interpret.encodability import case_control_groups, encodability, layer_encodability
from deepmodules.model.architecture import parse_model_id
from deepmodules.model.autoencoder import build_autoencoder, dense_layers
from deepmodules.model.network import DenseLayer

N_PROGRAM_GENES, N_NOISE_GENES = 30, 30


def compendium(seed=0):
    """Samples x genes where 30 genes follow two expression programs and 30 are independent noise.

    Controls (normal T cells) vary along both programs. Cases of "program disease" raise program 1;
    cases of "noise disease" raise ten of the noise genes and lower ten others, a direction no
    program spans. Returns the
    values, the sample table and the rows the autoencoder is trained on (the controls).
    """
    rng = np.random.default_rng(seed)
    n_controls, n_cases = 600, 60
    n = n_controls + 2 * n_cases
    programs = rng.random((n, 2))
    programs[n_controls : n_controls + n_cases, 0] += 0.6
    loading = np.zeros((2, N_PROGRAM_GENES))
    loading[0, :15], loading[1, 15:] = 0.6, 0.6
    program_genes = programs @ loading + 0.05 * rng.standard_normal((n, N_PROGRAM_GENES))
    noise_genes = 0.05 * rng.random((n, N_NOISE_GENES)) + 0.2
    noise_genes[n_controls + n_cases :, :10] += 0.3
    noise_genes[n_controls + n_cases :, 10:20] -= 0.15
    values = np.clip(np.hstack([program_genes, noise_genes]), 0, 1).astype(np.float32)
    disease = ["normal"] * n_controls + ["program disease"] * n_cases + ["noise disease"] * n_cases
    samples = pd.DataFrame({"disease": disease, "cell_type": "T cell"})
    return values, samples, np.arange(n_controls)


@pytest.fixture(scope="module")
def trained():
    values, samples, train = compendium()
    model = build_autoencoder(
        values.shape[1], parse_model_id("deep4"), optimizer={"learning_rate": 0.01}, seed=0
    )
    model.fit(values[train], values[train], epochs=60, batch_size=32, verbose=0)
    return dense_layers(model), values, samples


DISEASES = {"program": "program disease", "noise": "noise disease"}


def test_contrast_in_the_code_is_encodable_and_noise_genes_are_not(trained):
    layers, values, samples = trained
    pairs = [("deep4", layer) for layer in ("h1", "h2", "h3")]
    table = encodability({"deep4": layers}, pairs, values, samples, DISEASES, "normal", 0.5)
    table = table.set_index(["disease", "layer"])
    program, noise = table.loc["program"], table.loc["noise"]
    assert (program["encodability_r"] > 0.8).all(), program
    assert program["encodable"].all()
    assert (program["contrast_explained"] > 0.5).all()
    assert (noise["encodability_r"] < 0.3).all(), noise
    assert (noise["contrast_explained"] < 0.1).all()
    assert not noise["encodable"].any()
    assert (table["status"] == np.where(table["encodable"], "encoded", "signal lost")).all()
    assert (table["reference"] == "normal (T cell)").all()


def test_a_collapsed_code_is_flagged():
    values, samples, _ = compendium()
    n_genes = values.shape[1]
    h1 = DenseLayer("h1", np.zeros((n_genes, 3)), np.full(3, 0.5), "sigmoid")  # same code for all
    out = DenseLayer("output", np.ones((3, n_genes)), np.zeros(n_genes), "sigmoid")
    r, explained = layer_encodability([h1, out], values, np.arange(600, 660), np.arange(600), "h1")
    assert r == 0.0
    assert explained == pytest.approx(0.0)
    table = encodability({"m": [h1, out]}, [("m", "h1")], values, samples, DISEASES, "normal", 0.5)
    assert not table["encodable"].any()


def test_matched_controls_and_missing_cases():
    samples = pd.DataFrame(
        {
            "disease": ["normal", "normal", "asthma", "asthma", "normal"],
            "cell_type": ["T cell", "B cell", "B cell", "B cell", "B cell"],
        }
    )
    cases, controls, reference = case_control_groups(samples, "asthma", "normal")
    assert cases.tolist() == [2, 3]
    assert controls.tolist() == [1, 4]
    assert reference == "normal (B cell)"

    values = np.random.default_rng(0).random((5, 4))
    layers = [
        DenseLayer("h1", np.ones((4, 2)), np.zeros(2), "sigmoid"),
        DenseLayer("output", np.ones((2, 4)), np.zeros(4), "sigmoid"),
    ]
    table = encodability(
        {"m": layers}, [("m", "h1")], values, samples, {"x": "absent"}, "normal", 0.5
    )
    assert table["status"].tolist() == ["no cases"]
    assert table["encodable"].isna().all()
