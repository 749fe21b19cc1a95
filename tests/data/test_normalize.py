import numpy as np
import pytest

from deepmodules.data import normalize
from deepmodules.errors import InputError


def test_min_max_maps_each_gene_to_unit_interval():
    values = np.array([[1.0, 10.0], [3.0, 20.0], [2.0, 15.0]])
    gene_range = normalize.fit_range(values, ["a", "b"])
    scaled = normalize.apply_range(values, gene_range)
    np.testing.assert_allclose(scaled, [[0, 0], [1, 1], [0.5, 0.5]])
    assert scaled.dtype == np.float32


def test_upper_quartile_equalizes_sample_scale():
    rng = np.random.default_rng(0)
    base = rng.poisson(50, size=(1, 200)).astype(float)
    counts = np.vstack([base, 4 * base])  # same profile, 4x the depth
    normalized, reference = normalize.upper_quartile(counts)
    np.testing.assert_allclose(normalized[0], normalized[1])
    assert reference == np.percentile(base[base > 0], 75) * 2.5  # mean of 1x and 4x
    # Another dataset's counts put on this scale with the reference: the same values.
    deeper, _ = normalize.upper_quartile(8 * base, reference)
    np.testing.assert_allclose(deeper[0], normalized[0])


def test_log_transform_sets_values_below_noise_floor_to_zero():
    logged = normalize.log_transform(np.array([[0.0, 3.0, 7.0, 1023.0]]), noise_floor=3.0)
    np.testing.assert_allclose(logged, [[0.0, 0.0, 3.0, 10.0]])


def test_nan_genes_are_named():
    values = np.array([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(InputError, match="matrix.txt: 1 genes .*GENE_B"):
        normalize.check_finite(values, ["GENE_A", "GENE_B"], "matrix.txt")


def test_constant_genes_detected():
    values = np.array([[1.0, 5.0], [2.0, 5.0]])
    assert normalize.constant_genes(values).tolist() == [False, True]


def test_split_is_fixed_by_seed_and_sized():
    a = normalize.train_test_split(100, 0.25, seed=3)
    b = normalize.train_test_split(100, 0.25, seed=3)
    c = normalize.train_test_split(100, 0.25, seed=4)
    assert a.sum() == 25 and (a == b).all() and (a != c).any()
    assert normalize.train_test_split(100, 30, seed=3).sum() == 30
    with pytest.raises(InputError, match="test_size"):
        normalize.train_test_split(10, 10, seed=0)
