import numpy as np

from deepmodules.model.reconstruction import r2_global, r2_per_gene


def test_r2_hand_computed():
    x = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 4.0]])
    xhat = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    # global mean 1.5; SS_tot = 2.25+.25+.25+.25+.25+6.25 = 9.5; SS_res = 2
    assert np.isclose(r2_global(x, xhat), 1 - 2 / 9.5)
    # gene 1 perfect; gene 2: mean 2, SS_tot = 1+1+4 = 6, SS_res = 2
    np.testing.assert_allclose(r2_per_gene(x, xhat), [1.0, 1 - 2 / 6])


def test_r2_gene_constant_is_nan():
    x = np.array([[1.0, 0.0], [1.0, 1.0]])
    assert np.isnan(r2_per_gene(x, x)[0])
