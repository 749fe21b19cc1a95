"""The ARCHS4 compendium out of core: selection, symbol merging, streamed normalization, bad input."""

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from deepmodules.data import archs4, compendium, normalize, sources
from deepmodules.errors import InputError

N_GENES, N_SAMPLES, CHUNKS = 30, 200, (7, 16)


def write_archs4(path: Path, symbols: list[str] | None = None, seed: int = 0) -> np.ndarray:
    """An ARCHS4-style file of negative-binomial-like counts (genes × samples, gzip chunks).

    Every fifth sample is single-cell; samples belong to series GSE0 … GSE9 (20 each), and the
    samples of GSE9 also list GSE99.
    """
    rng = np.random.default_rng(seed)
    level = rng.gamma(0.7, 40, size=(N_GENES, 1))
    depth = rng.uniform(0.3, 3.0, size=(1, N_SAMPLES))
    counts = rng.poisson(level * depth * rng.gamma(2.0, 0.5, size=(N_GENES, N_SAMPLES)))
    counts = counts.astype(np.uint32)
    series = [f"GSE{i // 20}" for i in range(N_SAMPLES)]
    series = [s + ",GSE99" if s == "GSE9" else s for s in series]
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as h5:
        h5.create_dataset("data/expression", data=counts, chunks=CHUNKS, compression="gzip")
        symbols = symbols or [f"G{i}" for i in range(N_GENES)]
        h5.create_dataset("meta/genes/symbol", data=symbols, dtype=strings)
        meta = {
            "geo_accession": [f"GSM{i}" for i in range(N_SAMPLES)],
            "series_id": series,
            "characteristics_ch1": [
                f"cell type: c{i % 3},disease: {'asthma' if i % 4 == 0 else 'normal'}"
                for i in range(N_SAMPLES)
            ],
            "source_name_ch1": ["blood"] * N_SAMPLES,
            "title": [f"sample {i}" for i in range(N_SAMPLES)],
        }
        for field, values in meta.items():
            h5.create_dataset(f"meta/samples/{field}", data=values, dtype=strings)
        probability = np.where(np.arange(N_SAMPLES) % 5 == 4, 0.9, 0.1)
        h5.create_dataset("meta/samples/singlecellprobability", data=probability)
    return counts


@pytest.fixture
def spec(config, tmp_path) -> dict:
    """The demo's rnaseq dataset (schema defaults filled in) pointed at a small ARCHS4 file."""
    write_archs4(tmp_path / "a.h5")
    return {
        **config["datasets"]["rnaseq"],
        "matrix": str(tmp_path / "a.h5"),
        "drop_constant_genes": True,
    }


def test_streamed_compendium_equals_the_in_memory_path(spec, tmp_path, monkeypatch):
    monkeypatch.setattr(archs4, "BLOCK_VALUES", 1440)  # blocks of 3 chunk columns (48 samples)
    data = compendium.prepare(spec, {}, seed=1, outdir=tmp_path / "out")

    genes, meta, counts = sources.read_archs4(spec["matrix"], spec["single_cell_threshold"])
    values, reference = normalize.log_counts(counts, spec["noise_floor"])
    keep = ~normalize.constant_genes(values)
    assert 0 < keep.sum() < len(genes)  # the noise floor leaves constant genes to drop
    gene_range = normalize.fit_range(values[:, keep], list(np.asarray(genes)[keep]))
    expected = normalize.apply_range(values[:, keep], gene_range)

    loaded = compendium.load(tmp_path / "out")
    assert loaded.genes == data.genes == gene_range.genes
    assert loaded.samples["sample"].tolist() == meta["geo_accession"].tolist()
    assert loaded.scale["upper_quartile_reference"] == pytest.approx(reference, rel=1e-12)
    np.testing.assert_allclose(loaded.gene_range.minimum, gene_range.minimum, rtol=1e-6)
    np.testing.assert_allclose(loaded.gene_range.maximum, gene_range.maximum, rtol=1e-6)
    assert loaded.values.dtype == np.float32
    np.testing.assert_allclose(loaded.values, expected, atol=2e-6)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["expression.npy", "genes.tsv", "samples.tsv", "scale.json"]
    )


def test_selection_is_drawn_by_seed_from_the_filtered_samples(spec, tmp_path):
    with h5py.File(spec["matrix"]) as h5:
        _, meta = sources._archs4_metadata(h5, Path(spec["matrix"]))
    spec = {**spec, "exclude_series": ["GSE1", "GSE99"], "n_samples": 50}
    first = archs4.select_samples(meta, spec, 1, "a.h5")
    assert len(first) == 50 and (np.diff(first) > 0).all()
    np.testing.assert_array_equal(first, archs4.select_samples(meta, spec, 1, "a.h5"))
    assert not np.array_equal(first, archs4.select_samples(meta, spec, 2, "a.h5"))
    every = archs4.select_samples(meta, {**spec, "n_samples": None}, 1, "a.h5")
    series = meta["series_id"].to_numpy()
    assert set(series[every]) == {f"GSE{i}" for i in (0, *range(2, 9))}  # GSE9 lists GSE99
    assert (every % 5 != 4).all() and len(every) == 8 * 16
    assert set(first) <= set(every)

    listed = tmp_path / "samples.txt"
    listed.write_text("# chosen\nGSM3\tblood\nGSM4\n\nGSM25\nGSM3\nGSM0\n")
    # GSM4 is single-cell and GSM25 in GSE1: two remain, fewer than n_samples
    with pytest.raises(InputError, match="n_samples = 50 but only 2 samples remain"):
        archs4.select_samples(meta, {**spec, "samples_file": str(listed)}, 1, "a.h5")
    chosen = archs4.select_samples(
        meta, {**spec, "samples_file": str(listed), "n_samples": None}, 1, "a.h5"
    )
    np.testing.assert_array_equal(chosen, [0, 3])


def test_unknown_excluded_series_is_a_warning(spec, caplog):
    with h5py.File(spec["matrix"]) as h5:
        _, meta = sources._archs4_metadata(h5, Path(spec["matrix"]))
    spec = {**spec, "exclude_series": ["GSE2", "GSE12345"]}
    columns = archs4.select_samples(meta, spec, 1, "a.h5")
    assert len(columns) == 9 * 16
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "a.h5: 1 series of exclude_series name no sample of the file (e.g. GSE12345)"
    ]


def test_rows_of_one_symbol_are_summed(spec, tmp_path, caplog):
    symbols = [f"G{i}" for i in range(N_GENES)]
    symbols[5] = symbols[9] = symbols[20] = "DUP"
    counts = write_archs4(tmp_path / "d.h5", symbols)
    table = tmp_path / "names.tsv"
    names = pd.DataFrame({"name": symbols, "symbol": symbols})
    names.loc[[1, 2], "symbol"] = ["G0", "TP53 /// TP63"]  # G1 merges into G0, G2 is dropped
    names.to_csv(table, sep="\t", index=False)
    spec = {
        **spec,
        "matrix": str(tmp_path / "d.h5"),
        "gene_ids": {"mapping": str(table), "from": "name", "to": "symbol", "min_mapped": 0.5},
    }
    with caplog.at_level("INFO", logger="deepmodules"):
        selection, _ = archs4.select(spec, seed=1)
    kept = [s for i, s in enumerate(symbols) if i not in (1, 2, 9, 20)]
    assert selection.genes == kept
    assert "2 genes are on more than one row (5 rows); their counts are summed" in caplog.text
    merged = selection.merge(counts.T[:4])
    np.testing.assert_array_equal(merged[:, 0], counts[0, :4] + counts[1, :4])
    np.testing.assert_array_equal(merged[:, kept.index("DUP")], counts[[5, 9, 20], :4].sum(0))
    np.testing.assert_array_equal(merged[:, 1], counts[3, :4])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_samples": 161}, r"a\.h5: n_samples = 161 but only 160 samples remain"),
        ({"samples_file": "LIST"}, r"samples\.txt: 1 of 2 accessions are not samples of .*GSM999"),
        (
            {"min_mean_log_expression": 100.0},
            r"a\.h5: no gene has a mean log expression >= 100\.0",
        ),
        (
            {"min_expressed_fraction": 1.0, "noise_floor": 30.0},
            r"a\.h5: no gene .* above the noise floor in >= 1\.0 of the samples",
        ),
    ],
    ids=["n_samples", "samples_file", "min_mean_log_expression", "min_expressed_fraction"],
)
def test_bad_selection_is_one_line_and_leaves_no_output(spec, tmp_path, change, message):
    listed = tmp_path / "samples.txt"
    listed.write_text("GSM1\nGSM999\n")
    spec = {**spec, **{k: str(listed) if v == "LIST" else v for k, v in change.items()}}
    with pytest.raises(InputError, match=message) as error:
        compendium.prepare(spec, {}, seed=1, outdir=tmp_path / "out")
    assert "\n" not in str(error.value) and "Fix: " in str(error.value)
    assert not (tmp_path / "out").exists()


def test_max_genes_keeps_the_most_expressed(spec, tmp_path):
    full = compendium.prepare(spec, {}, seed=1, outdir=tmp_path / "full")
    top = compendium.prepare({**spec, "max_genes": 5}, {}, seed=1, outdir=tmp_path / "top")
    nonconstant = pd.read_csv(tmp_path / "full" / "genes.tsv", sep="\t")["gene"]
    assert len(top.genes) == 5 and set(top.genes) < set(full.genes)
    with h5py.File(spec["matrix"]) as h5:
        logged, _ = normalize.log_counts(
            h5["data/expression"][:, np.flatnonzero(np.arange(N_SAMPLES) % 5 != 4)].T,
            spec["noise_floor"],
        )
    mean = pd.Series(logged.mean(axis=0), index=[f"G{i}" for i in range(N_GENES)])
    assert set(top.genes) == set(mean[nonconstant].nlargest(5).index)


class RecordingDataset:
    """A genes × samples dataset that records the column range of every read."""

    def __init__(self, dataset: h5py.Dataset):
        self.dataset, self.shape, self.chunks = dataset, dataset.shape, dataset.chunks
        self.reads: list[tuple[int, int]] = []

    def __getitem__(self, key):
        rows, columns = key
        assert rows == slice(None) and isinstance(columns, slice) and columns.step is None
        self.reads.append((columns.start, columns.stop))
        return self.dataset[key]


@pytest.mark.parametrize(
    ("block_values", "chunks_per_block"),
    [(1440, 3), (200, 1)],  # 3 chunk columns of 16 samples × 30 genes; less than one chunk
)
def test_counts_are_read_once_in_chunk_order_one_block_at_a_time(
    spec, tmp_path, monkeypatch, block_values, chunks_per_block
):
    monkeypatch.setattr(archs4, "BLOCK_VALUES", block_values)
    spec = {**spec, "n_samples": 40}
    selection, _ = archs4.select(spec, seed=3)
    with h5py.File(spec["matrix"]) as h5:
        recorded = RecordingDataset(h5["data/expression"])
        found = archs4.stream_ratios(recorded, selection, tmp_path / "r.npy")
        counts = h5["data/expression"][:, selection.columns].T
    starts, stops = np.array(recorded.reads).T
    width = chunks_per_block * CHUNKS[1]
    assert (starts % CHUNKS[1] == 0).all() and (stops - starts <= width).all()
    assert (starts[1:] >= stops[:-1]).all()  # increasing, no chunk read twice
    assert len(recorded.reads) == len(np.unique(selection.columns // width))
    np.testing.assert_array_equal(found.quartiles, normalize.upper_quartiles(counts))
    ratios = np.load(tmp_path / "r.npy")
    assert ratios.shape == (40, N_GENES)
    np.testing.assert_allclose(ratios, counts / found.quartiles[:, None], rtol=1e-7)
    logged = normalize.log_transform(ratios * np.float32(found.reference), 3.0)
    low, high = found.log_range(3.0)  # E's range from the ratios' range: exactly E's
    np.testing.assert_array_equal(low, logged.min(axis=0))
    np.testing.assert_array_equal(high, logged.max(axis=0))


def test_series_counts_sum_the_rows_of_one_symbol_as_the_compendium_does():
    counts = np.array([[1, 2, 3, 4], [10, 20, 30, 40]], dtype=np.uint32)
    genes, merged = archs4.counts_by_symbol(["A", "B", "A", "C"], counts, None, "series")
    assert genes == ["A", "B", "C"]
    assert merged.tolist() == [[4, 2, 4], [40, 20, 40]]
