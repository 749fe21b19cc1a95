import numpy as np
import pandas as pd
import pytest

from deepmodules.config import compendium_spec
from deepmodules.data import compendium, sources
from deepmodules.data.external import (
    align_to_compendium,
    read_sample_sheet,
    row_genes,
    to_compendium_scale,
)
from deepmodules.data.normalize import GeneRange
from deepmodules.errors import InputError


def test_alignment_uses_compendium_ranges_order_clips_and_fills_missing_genes():
    compendium = GeneRange(["A", "B", "C", "D"], np.zeros(4), np.array([2.0, 4.0, 8.0, 1.0]))
    values = np.array([[1.0, 2.0, 9.0], [0.0, -1.0, 4.0]])  # genes C, A, B
    aligned = align_to_compendium(["C", "A", "B"], values, compendium, 0.5, 0.2, "ext.tsv")
    np.testing.assert_allclose(aligned, [[1.0, 1.0, 0.125, 0.5], [0.0, 1.0, 0.0, 0.5]])


def test_too_little_gene_overlap_is_refused():
    compendium = GeneRange(list("ABCDEFGHIJ"), np.zeros(10), np.ones(10))
    with pytest.raises(InputError, match="ext.tsv: only 2 of the compendium's 10 genes"):
        align_to_compendium(["A", "B", "Z"], np.ones((2, 3)), compendium, 0.8, 0.01, "ext.tsv")


def test_values_off_the_compendium_scale_are_refused():
    """Counts against a log2 compendium: an error naming a gene, its value and the range; log2 values
    of the same samples, a few beyond the compendium's extremes, pass."""
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(50)]
    log2 = rng.uniform(4, 12, size=(200, 50))
    compendium = GeneRange(genes, log2[:150].min(axis=0), log2[:150].max(axis=0))
    external = log2[150:]
    assert ((external < compendium.minimum) | (external > compendium.maximum)).any()
    aligned = align_to_compendium(genes, external, compendium, 0.8, 0.01, "ms.tsv")
    assert aligned.min() >= 0 and aligned.max() <= 1
    with pytest.raises(
        InputError, match=r"ms.tsv: 100.0% of the values lie far outside.*G0: "
    ) as e:
        align_to_compendium(genes, 2**external, compendium, 0.8, 0.01, "ms.tsv")
    assert "log2" in str(e.value) and "\n" not in str(e.value)


def test_sample_sheet_groups_must_have_samples(tmp_path):
    path = tmp_path / "samples.tsv"
    pd.DataFrame({"sample": ["a", "b", "c", "d"], "group": ["MS", "MS", "MS", "HC"]}).to_csv(
        path, sep="\t", index=False
    )
    assert len(read_sample_sheet(str(path), ["MS"], 3)) == 4
    with pytest.raises(InputError, match="group 'HC' has 1 samples.*groups here: 'HC', 'MS'"):
        read_sample_sheet(str(path), ["MS", "HC"], 3)
    as_csv = tmp_path / "samples.csv"  # the same sheet saved as CSV, a group holding a comma
    as_csv.write_text('sample,group\na,MS\nb,MS\nc,MS\nd,"HC, treated"\n')
    sheet = read_sample_sheet(str(as_csv), ["MS"], 3)
    assert sheet["group"].tolist() == ["MS", "MS", "MS", "HC, treated"]


def test_spaces_around_a_sheet_group_are_not_part_of_its_name(tmp_path):
    """A sheet group written 'normal ' (trailing space) is the group 'normal'; a group that is
    still missing is listed with quotes, so a space or a different spelling shows."""
    path = tmp_path / "samples.tsv"
    groups = ["MS", "MS", "normal ", " normal", "normal", "Normal"]
    pd.DataFrame({"sample": list("abcdef"), "group": groups}).to_csv(path, sep="\t", index=False)
    sheet = read_sample_sheet(str(path), ["normal"], 3)
    assert (sheet["group"] == "normal").sum() == 3
    with pytest.raises(InputError, match="groups here: 'MS', 'Normal', 'normal'"):
        read_sample_sheet(str(path), ["normal", "healthy"], 1)


def test_counts_of_compendium_samples_get_their_compendium_values(config, tmp_path):
    """Raw counts of RNA-seq compendium samples, analysed as an external dataset (values: counts),
    are normalized exactly as the compendium normalized them; log values need no transform, and counts
    against the microarray compendium are refused."""
    spec = compendium_spec(config, "rnaseq")
    data = compendium.prepare(spec, config["diseases"], seed=1, outdir=tmp_path / "rnaseq")
    assert compendium.load(tmp_path / "rnaseq").scale == data.scale
    genes, _, counts = sources.read_archs4(
        spec["matrix"], spec["single_cell_threshold"], samples=data.samples["sample"].tolist()
    )
    rows = np.arange(0, len(counts), 37)
    logged = to_compendium_scale(counts[rows], "counts", data.scale, "ms.tsv")
    aligned = align_to_compendium(list(genes), logged, data.gene_range, 0.8, 0.01, "ms.tsv")
    np.testing.assert_allclose(aligned, data.values[rows], atol=1e-6)

    assert to_compendium_scale(logged, "log", data.scale, "ms.tsv") is logged
    with pytest.raises(InputError, match="ms.tsv: holds counts .* not an RNA-seq one"):
        to_compendium_scale(counts[rows], "counts", {"values": "log"}, "ms.tsv")


def test_rows_named_by_the_compendium_gene_id_table_are_read_through_it(tmp_path):
    """A dataset of the compendium's platform in probe-set ids gets the symbols the compendium's table
    gives (two probe sets of one gene: the one with the higher mean kept, as in the compendium), and
    aligns to the compendium as the same dataset named by symbols does; symbols, or no table, are
    taken as they are."""
    table = tmp_path / "gpl.tsv"
    table.write_text(
        "#ID = probe set\nID\tsymbol\n1_at\tTP53\n2_s_at\tMKI67\n3_at\tMKI67\n4_at\tACTA2\n5_at\tDES\n"
    )
    gene_ids = {"mapping": str(table), "from": "ID", "to": "symbol", "min_mapped": 0.5}
    values = np.array([[1.0, 2.0, 5.0, 3.0, 4.0], [2.0, 3.0, 6.0, 4.0, 5.0]])
    probes = ["1_at", "2_s_at", "3_at", "4_at", "5_at"]
    genes, mapped = row_genes(probes, values, None, gene_ids, "ms.tsv")
    assert sorted(genes) == ["ACTA2", "DES", "MKI67", "TP53"]
    by_symbol = dict(zip(genes, mapped.T, strict=True))
    np.testing.assert_array_equal(by_symbol["MKI67"], [5.0, 6.0])  # 3_at, the higher mean
    reference = GeneRange(["TP53", "MKI67", "ACTA2", "DES"], np.zeros(4), np.full(4, 10.0))
    symbols = ["TP53", "MKI67", "ACTA2", "DES"]
    named = values[:, [0, 2, 3, 4]]
    np.testing.assert_array_equal(
        align_to_compendium(genes, mapped, reference, 0.8, 0.01, "ms.tsv"),
        align_to_compendium(symbols, named, reference, 0.8, 0.01, "ms.tsv"),
    )
    assert row_genes(symbols, named, None, gene_ids, "ms.tsv") == (symbols, named)
    assert row_genes(probes, values, None, None, "ms.tsv") == (probes, values)


def test_a_dataset_of_another_platform_is_read_through_its_own_table(tmp_path):
    """Illumina probes against a compendium mapped from Affymetrix probe sets: the dataset's own
    `gene_ids` maps every row (the compendium's table knows none of them), two probes of one gene
    keep the higher mean; an own table that maps too few rows is refused as a compendium's is."""
    compendium_table = tmp_path / "gpl96.tsv"
    compendium_table.write_text("ID\tsymbol\n1_at\tTP53\n2_at\tMKI67\n")
    illumina = tmp_path / "gpl6947.tsv"
    illumina.write_text("ID\tSymbol\nILMN_1\tTP53\nILMN_2\tMKI67\nILMN_3\tMKI67\n")
    compendium_ids = {"mapping": str(compendium_table), "from": "ID", "to": "symbol"}
    own = {"mapping": str(illumina), "from": "ID", "to": "Symbol", "min_mapped": 0.5}
    values = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 5.0]])
    probes = ["ILMN_1", "ILMN_2", "ILMN_3"]
    assert row_genes(probes, values, None, compendium_ids, "ms.tsv") == (probes, values)
    genes, mapped = row_genes(probes, values, own, compendium_ids, "ms.tsv")
    assert dict(zip(genes, mapped.T.tolist(), strict=True)) == {
        "TP53": [1.0, 2.0],
        "MKI67": [3.0, 5.0],
    }
    with pytest.raises(InputError, match=r"ms.tsv: only 1 of 4 rows \(25%\) map to a symbol"):
        row_genes([*probes[:1], "x", "y", "z"], np.ones((2, 4)), own, None, "ms.tsv")
