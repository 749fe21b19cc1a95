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


def test_genes_with_a_missing_value_are_left_out_and_counted(caplog):
    values = np.array([[1.0, np.nan, 2.0, 5.0], [2.0, 3.0, np.inf, 6.0], [3.0, 4.0, 1.0, 7.0]])
    genes = ["GENE_A", "GENE_B", "GENE_C", "GENE_D"]
    complete = normalize.complete_genes(values, genes, ["s1", "s2", "s3"], "matrix.txt")
    assert complete.tolist() == [True, False, False, True]
    assert "left out 2 of 4 genes" in caplog.text and "GENE_B, GENE_C" in caplog.text
    kept, subset = normalize.subset_genes(genes, values, complete)
    assert kept == ["GENE_A", "GENE_D"] and subset.tolist() == [[1.0, 5.0], [2.0, 6.0], [3.0, 7.0]]
    full = np.ones((2, 3))
    assert normalize.complete_genes(full, genes[:3], ["s1", "s2"], "matrix.txt").all()


def test_a_sample_or_a_matrix_mostly_missing_is_refused():
    """A column of text (a shifted header) makes one sample empty; gaps in most genes make the
    matrix unusable: both are named, not silently emptied."""
    values = np.ones((3, 4))
    values[1, :3] = np.nan
    with pytest.raises(
        InputError, match=r"matrix.txt: 1 samples miss more .* \(e\.g\. s2 \(75%\)\)"
    ):
        normalize.complete_genes(values, list("ABCD"), ["s1", "s2", "s3"], "matrix.txt")
    values = np.ones((3, 4))
    values[[0, 1, 2], [0, 1, 2]] = np.nan
    with pytest.raises(InputError, match="matrix.txt: 3 of 4 genes have missing .*A, B, C"):
        normalize.complete_genes(values, list("ABCD"), ["s1", "s2", "s3"], "matrix.txt")


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


def test_a_sample_without_counts_is_named_with_its_file():
    counts = np.array([[3, 0, 5], [0, 0, 0], [1, 2, 3]])
    with pytest.raises(
        InputError, match=r"counts.tsv: 1 samples have no non-zero counts \(e\.g\. S2\)"
    ):
        normalize.log_counts(counts, 3.0, where="counts.tsv", samples=["S1", "S2", "S3"])
    with pytest.raises(InputError, match=r"count matrix: 1 samples .*\(e\.g\. row 1\)"):
        normalize.upper_quartiles(counts)
    np.testing.assert_allclose(normalize.upper_quartiles(counts[[0, 2]]), [4.5, 2.5])
