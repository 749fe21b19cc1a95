"""Shared fixtures: a small simulated compendium in the real sources' formats, and the demo config on it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from deepmodules import simulate as sim
from deepmodules.config import series_matrices, validate_config
from deepmodules.validate import replication, verdict

ROOT = Path(__file__).resolve().parents[1]

SMALL = sim.SMALL_PARAMS
SEED = 7
# The demo's disease series in the ARCHS4 file (config/config.yaml simulate.params.archs4_series).
DEMO_SERIES = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["simulate"]["params"][
    "archs4_series"
]
SMALL_SOURCES = {**SMALL, "archs4_series": DEMO_SERIES}  # the parameters of small_sources


@pytest.fixture(scope="session")
def small_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated sources (SMALL parameters and the demo's disease series), written once per
    test session."""
    path = tmp_path_factory.mktemp("sim")
    sim.simulate(path, SMALL_SOURCES, SEED, "direct")
    return path


def small_config(sources: Path) -> dict:
    """The demo configuration pointed at the simulated ``sources``, defaults filled in."""
    with open(ROOT / "config" / "config.yaml") as handle:
        config = yaml.safe_load(handle)
    for spec in config["datasets"].values():
        for key in ("matrix", "annotation"):
            if spec.get(key):
                spec[key] = spec[key].replace("resources/demo", str(sources))
    validate_config(config, ROOT / "config" / "schema.yaml")
    series_matrices(config)
    return config


@pytest.fixture
def config(small_sources):
    """:func:`small_config` on the small simulated sources, fresh for each test."""
    return small_config(small_sources)


def verdict_of_splits(
    splits: pd.DataFrame, naive: str, encodability: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The verdict (defaults: 0.95, margin 0.2, min_heldout 5) of held-out replication rows with model and layer,
    without stability or GWAS p (NaN), indexed by model and layer."""
    keys = splits[["disease", "model", "layer"]].drop_duplicates()
    return verdict.verdict_table(
        replication.summarize(splits, 0.95),
        splits,
        keys.assign(module_stability=np.nan),
        keys.assign(empirical_p_value=np.nan),
        keys.assign(encodability_r=np.nan) if encodability is None else encodability,
        naive,
        0.95,
        0.2,
        5,
    ).set_index(["model", "layer"])
