"""The study-controls analysis: skipped studies, ties and the sign test over the tested studies."""

import numpy as np
import pandas as pd
import pytest

from deepmodules.modules.reverse_training import Reference
from deepmodules.stats import binomial_greater
from deepmodules.validate.controls import COLUMNS, controls_table, sign_test, skip_reason

UNIVERSE = {f"G{i:03d}" for i in range(200)}
GWAS = {f"G{i:03d}" for i in range(20)}  # the disease's GWAS genes
HITS = sorted(GWAS)[:10]  # a module half made of GWAS genes
MISSES = sorted(UNIVERSE - GWAS)[:10]  # a module without any


def design(studies, with_controls=True):
    """Samples of one disease in the given studies, each with 3 cases and (optionally) 3 controls."""
    rows = []
    for study in studies:
        rows += [("asthma", study)] * 3
        if with_controls:
            rows += [("normal", study)] * 3
    samples = pd.DataFrame(rows, columns=["disease", "study"])
    labels = samples["disease"] + " [" + samples["study"] + "]"
    return samples, labels, sorted(labels.unique())


def table_for(module_of, studies=("S1", "S2"), reference=None, skips=None, min_gwas_genes=5, **kw):
    samples, labels, phenotypes = design(studies, **kw)
    reference = reference or Reference("all controls", [f"normal [{s}]" for s in studies])
    return controls_table(
        samples,
        labels,
        phenotypes,
        {"asthma": {"label": "asthma"}},
        "normal",
        {"asthma": reference},
        skips or {},
        module_of,
        {"asthma": GWAS},
        UNIVERSE,
        "h3",
        min_gwas_genes,
    )


def disease_wins(phenotype, reference):
    return HITS if phenotype.startswith("asthma") else MISSES


def test_disease_module_enriched_beyond_its_control_module_is_better():
    table = table_for(disease_wins)
    assert list(table.columns) == COLUMNS
    assert (table["status"] == "tested").all()
    assert table["disease_better"].all() and not table["tie"].any()
    assert (table["disease_overlap"] == 10).all() and (table["control_overlap"] == 0).all()
    assert (table[["n_cases", "n_controls"]] == 3).all().all()


def test_identical_modules_are_ties_not_wins():
    table = table_for(lambda phenotype, reference: HITS)
    assert table["tie"].all() and not table["disease_better"].any()


def test_module_contrasts_exclude_the_studys_own_controls():
    seen = []
    table_for(lambda phenotype, reference: seen.append((phenotype, reference)) or HITS)
    for phenotype, reference in seen:
        study = phenotype.split("[")[1]
        assert f"normal [{study}" not in reference and reference  # the other study's controls


def test_skips_name_their_reason_and_are_not_tested():
    no_controls = table_for(disease_wins, with_controls=False)
    assert (no_controls["status"] == "skipped: the study has no control samples").all()
    alone = table_for(disease_wins, studies=("S1",))
    assert alone["status"].item() == (
        "skipped: no control samples outside the study to contrast with"
    )
    few_cases = table_for(disease_wins, skips={"asthma": "2 cases (minimum 3)"})
    assert (few_cases["status"] == "skipped: 2 cases (minimum 3)").all()
    few_gwas = table_for(disease_wins, min_gwas_genes=50)
    assert few_gwas["status"].str.startswith("skipped: 20 GWAS genes").all()
    for table in (no_controls, alone, few_cases, few_gwas):
        assert table["disease_p_value"].isna().all()


def test_skip_reason_of_a_reference_without_controls():
    reference = Reference("", [], "no control samples ('normal') in the compendium")
    assert skip_reason(None, reference, "normal [S1]", ["normal [S1]"]) == (
        "skipped: no control samples ('normal') in the compendium"
    )
    paper = Reference("none", [])  # the paper score needs no reference
    assert skip_reason(None, paper, "normal [S1]", ["normal [S1]"]) is None


def studies_table(better, ties, losses, skipped=0):
    rows = (
        [{"status": "tested", "disease_better": True, "tie": False}] * better
        + [{"status": "tested", "disease_better": False, "tie": True}] * ties
        + [{"status": "tested", "disease_better": False, "tie": False}] * losses
        + [{"status": "skipped: the study has no control samples"}] * skipped
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def test_sign_test_leaves_ties_and_skips_out():
    summary = sign_test(studies_table(better=9, ties=3, losses=1, skipped=2), "h3")
    row = summary.iloc[0]
    assert (row["n_studies"], row["n_ties"], row["n_disease_better"], row["n_skipped"]) == (
        13,
        3,
        9,
        2,
    )
    assert row["p_value"] == pytest.approx(binomial_greater(9, 10))
    assert row["p_value"] < 0.05


def test_sign_test_negative_control_is_not_significant():
    assert sign_test(studies_table(better=5, ties=0, losses=5), "h3").loc[0, "p_value"] > 0.5


def test_sign_test_without_signed_studies_is_nan():
    assert np.isnan(sign_test(studies_table(better=0, ties=4, losses=0), "h3").loc[0, "p_value"])
    assert np.isnan(sign_test(studies_table(0, 0, 0, skipped=3), "h3").loc[0, "p_value"])
