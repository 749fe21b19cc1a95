import numpy as np
import pandas as pd
import pytest

from deepmodules.errors import InputError
from deepmodules.external import align_to_compendium, read_sample_sheet
from deepmodules.normalize import GeneRange


def test_alignment_uses_compendium_ranges_order_and_fills_missing_genes():
    compendium = GeneRange(["A", "B", "C", "D"], np.zeros(4), np.array([2.0, 4.0, 8.0, 1.0]))
    values = np.array([[1.0, 2.0, 9.0], [0.0, -1.0, 4.0]])  # genes C, A, B
    aligned = align_to_compendium(["C", "A", "B"], values, compendium, 0.5, "ext.tsv")
    np.testing.assert_allclose(aligned, [[1.0, 1.0, 0.125, 0.5], [0.0, 1.0, 0.0, 0.5]])


def test_too_little_gene_overlap_is_refused():
    compendium = GeneRange(list("ABCDEFGHIJ"), np.zeros(10), np.ones(10))
    with pytest.raises(InputError, match="ext.tsv: only 2 of the compendium's 10 genes"):
        align_to_compendium(["A", "B", "Z"], np.ones((2, 3)), compendium, 0.8, "ext.tsv")


def test_sample_sheet_groups_must_have_samples(tmp_path):
    path = tmp_path / "samples.tsv"
    pd.DataFrame({"sample": ["a", "b", "c", "d"], "group": ["MS", "MS", "MS", "HC"]}).to_csv(
        path, sep="\t", index=False
    )
    assert len(read_sample_sheet(str(path), ["MS"], 3)) == 4
    with pytest.raises(InputError, match="group 'HC' has 1 samples.*groups here: HC, MS"):
        read_sample_sheet(str(path), ["MS", "HC"], 3)
