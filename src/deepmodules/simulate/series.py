"""Disease series in the ARCHS4 stand-in: GEO series of cases and healthy controls, apart from the
compendium's studies, as the paper's RNA-seq disease series (asthma GSE75011, Crohn's disease and
ulcerative colitis GSE112057, obesity GSE65540) sit in ARCHS4.

Series ``i`` of ``archs4_series`` (a list of disease-id lists) is ``GSE{900001 + i}``: ``series_cases``
cases of each of its diseases and ``series_controls`` healthy controls, of its first disease's cell
type, with the planted disease effects of the compendium (severity ``U(0.7, 1)``) and a batch of its
own. Their metadata are written as GEO's are: ``characteristics_ch1`` ``tissue: <cell type>,disease
state: <label>`` (controls ``healthy control``), ``source_name_ch1`` ``<cell type> biopsy`` and a
``title`` ``<disease id>_<n>`` (controls ``control_<n>``), so that both kinds of grouping rule
(a characteristic or a pattern on the title) can be written for them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmodules.simulate.model import Arm, _program_activity
from deepmodules.simulate.params import DISEASES

CONTROL_STATE = "healthy control"
FIRST_SERIES = 900_001
FIRST_SAMPLE = 9_000_001


def series_id(number: int) -> str:
    """The GEO id of simulated series ``number`` (0-based)."""
    return f"GSE{FIRST_SERIES + number}"


def _series_arm(rng: np.random.Generator, p: dict, programs_on: np.ndarray) -> Arm:
    """The samples of every disease series (at least one), with their ARCHS4 metadata in the design."""
    rows = []
    for study, diseases in enumerate(p["archs4_series"]):
        cell_type = DISEASES[diseases[0]]["cell_type"]
        for disease_id in diseases:
            state = DISEASES[disease_id]["label"]
            rows += [(study, cell_type, disease_id, True, state)] * p["series_cases"]
        rows += [(study, cell_type, "", False, CONTROL_STATE)] * p["series_controls"]
    design = pd.DataFrame(rows, columns=["study", "cell_type", "disease_id", "case", "disease"])
    design["name"] = [f"GSM{FIRST_SAMPLE + i}" for i in range(len(design))]
    design["study_id"] = [series_id(t) for t in design["study"]]
    number = design.groupby(["study", "disease_id"]).cumcount() + 1
    prefix = design["disease_id"].where(design["case"], "control")
    design["title"] = prefix + "_" + number.map("{:02d}".format)
    design["characteristics"] = (
        "tissue: " + design["cell_type"] + ",disease state: " + design["disease"]
    )
    design["source_name"] = design["cell_type"] + " biopsy"
    design["single_cell"] = False
    activity = _program_activity(rng, p, programs_on, design["cell_type"])
    severity = np.zeros((len(design), len(p["diseases"])), dtype=np.float32)
    for d, disease_id in enumerate(p["diseases"]):
        cases = (design["disease_id"] == disease_id).to_numpy() & design["case"].to_numpy()
        severity[cases, d] = rng.uniform(*p["severity_range"], size=int(cases.sum()))
    batch = rng.normal(0, p["batch_sd"], size=(len(p["archs4_series"]), p["n_genes"]))
    return Arm(design, activity.astype(np.float32), severity, batch.astype(np.float32))


def series_truth(arm: Arm) -> dict:
    """The ground truth of the series: each one's diseases and its samples per disease state."""
    return {
        study_id: {
            "diseases": [d for d in dict.fromkeys(rows["disease_id"]) if d],
            "groups": rows["disease"].value_counts().to_dict(),
            "samples": rows["name"].tolist(),
        }
        for study_id, rows in arm.design.groupby("study_id", sort=True)
    }
