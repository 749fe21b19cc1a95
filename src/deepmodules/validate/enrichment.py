"""Statistics for validating disease modules against GWAS genes.

Module vs GWAS gene overlap is tested with a one-sided Fisher exact test (the hypergeometric upper
tail) within a gene universe; p-values across tests are corrected by Benjamini-Hochberg and combined
across diseases by Fisher's method; counts of wins are tested with a one-sided binomial test. A disease
with fewer GWAS genes in the universe than a minimum (the paper: 100) is not tested but recorded as
skipped, with the reason in its ``status``.

Beside the paper's Fisher p, a matched null asks whether the overlap exceeds that of random gene sets
with the module's gene lengths and local gene densities: long genes and genes in gene-poor regions are
the closest gene of more SNPs whatever the disease, so a module of such genes passes the Fisher test
without any disease signal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from deepmodules.errors import InputError
from deepmodules.stats import ALPHA, benjamini_hochberg, fisher_combined

log = logging.getLogger(__name__)

# The columns of gwas_enrichment.tsv and gwas_mapping_sensitivity.tsv (:func:`module_gwas_tables`).
COLUMNS = [
    "disease", "model", "layer", "mapping", "module_size", "overlap", "n_loci", "gwas_genes",
    "universe", "odds_ratio", "null_median_odds_ratio", "p_value", "empirical_p_value", "q_value",
    "null_module_share", "length_density_bias", "status",
]  # fmt: skip


def fisher_enrichment(
    module: Iterable[str], gwas: Iterable[str], universe: Iterable[str]
) -> dict[str, float | int]:
    """One-sided Fisher exact test of the overlap between a module and a GWAS gene set.

    Both sets are first restricted to the universe U (N = |U|). With a = |M ∩ G|, b = |M \\ G|,
    c = |G \\ M| and d = N - a - b - c, the table [[a, b], [c, d]] is tested with
    ``alternative="greater"``: p = P(X >= a) for X ~ Hypergeometric(N, |G|, |M|). The odds ratio is the
    sample odds ratio a·d / (b·c) (inf when b·c = 0 and a·d > 0).
    """
    universe = set(universe)
    if not universe:
        raise InputError(
            "fisher_enrichment", "the gene universe is empty", "pass the expressed genes"
        )
    module = set(module) & universe
    gwas = set(gwas) & universe
    a = len(module & gwas)
    b = len(module) - a
    c = len(gwas) - a
    d = len(universe) - a - b - c
    odds_ratio, p_value = stats.fisher_exact([[a, b], [c, d]], alternative="greater")
    return {
        "overlap": a,
        "module_size": len(module),
        "gwas_genes": len(gwas),
        "universe": len(universe),
        "odds_ratio": float(odds_ratio),
        "p_value": float(p_value),
    }


ENRICHMENT_FIELDS = ["overlap", "module_size", "gwas_genes", "universe", "odds_ratio", "p_value"]


def gwas_test(
    module: Iterable[str], gwas: Iterable[str], universe: Iterable[str], min_gwas_genes: int
) -> dict[str, float | int | str]:
    """:func:`fisher_enrichment` with a ``status``: ``tested``, or a recorded skip.

    When fewer than ``min_gwas_genes`` GWAS genes lie in the universe, or the module holds every gene
    of the universe (``modules.size`` at least the genes there: nothing left to compare with), the
    module is not tested: its statistics are NaN (``gwas_genes`` still counts them) and ``status``
    says why.
    """
    universe = set(universe)
    n_gwas = len(set(gwas) & universe)
    if universe and len(set(module) & universe) == len(universe):
        return {
            **dict.fromkeys(ENRICHMENT_FIELDS, np.nan),
            "gwas_genes": n_gwas,
            "status": f"skipped: the module holds all {len(universe)} genes of the universe "
            "(lower modules.size)",
        }
    if n_gwas < min_gwas_genes:
        return {
            **dict.fromkeys(ENRICHMENT_FIELDS, np.nan),
            "gwas_genes": n_gwas,
            "status": f"skipped: {n_gwas} GWAS genes in the universe (minimum {min_gwas_genes})",
        }
    return {**fisher_enrichment(module, gwas, universe), "status": "tested"}


NULL_FIELDS = ["n_loci", "empirical_p_value", "null_median_odds_ratio", "null_module_share"]


def matched_strata(
    features: pd.DataFrame, universe: Iterable[str], stratum_genes: int, density_bins: int
) -> pd.Series:
    """Strata of the universe's genes with similar length and local gene density.

    ``features`` has columns gene, length, neighbours (:func:`deepmodules.validate.gwas.gene_features`).
    Genes with coordinates are cut into ``density_bins`` equal-sized bins by rank of ``neighbours``
    (fewer when the universe holds fewer than ``density_bins × stratum_genes`` such genes) and each of
    these into bins of about ``stratum_genes`` genes by rank of ``length``; ties are broken in gene
    order so that the bins are even. Universe genes without coordinates (never GWAS genes) form one
    stratum of their own, -1. Returns the stratum of every universe gene, indexed by gene.
    """
    genes = sorted(set(universe))
    table = features.drop_duplicates("gene").set_index("gene").reindex(genes)
    known = table[table["length"].notna()]
    strata = pd.Series(-1, index=pd.Index(genes, name="gene"), name="stratum")
    n_density = max(1, min(density_bins, len(known) // stratum_genes))
    density = _even_bins(known["neighbours"], n_density)
    offset = 0
    for _, group in known.groupby(density):
        n_length = max(1, len(group) // stratum_genes)
        strata[group.index] = offset + _even_bins(group["length"], n_length)
        offset += n_length
    return strata


def matched_null(
    module: Iterable[str],
    gwas: Iterable[str],
    strata: pd.Series,
    n_draws: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Empirical p of a module's GWAS overlap against random gene sets matched on length and density.

    ``strata`` is :func:`matched_strata` over the universe U. A random set takes from every stratum s
    as many genes as the module has there (n_s), without replacement among its N_s genes, so its
    overlap with the GWAS genes is a' = Σ_s X_s with independent X_s ~ Hypergeometric(N_s, K_s, n_s)
    (K_s the stratum's GWAS genes); a' is drawn ``n_draws`` times directly. With a the module's
    overlap, the empirical p is (1 + #{a' >= a}) / (1 + n_draws). Each draw's odds ratio
    a'(N - m - K + a') / ((m - a')(K - a')) is computed as in :func:`fisher_enrichment`; their median
    is ``null_median_odds_ratio``. ``null_module_share`` = Σ_s n_s² / N_s / m is the expected share of
    the module's own genes in a random set: near 1 the null cannot tell the module from itself.
    """
    universe = strata.index
    module = universe.intersection(pd.Index(list(set(module))))
    gwas = universe.intersection(pd.Index(list(set(gwas))))
    m, k, n = len(module), len(gwas), len(universe)
    size = strata.value_counts()
    in_module = strata[module].value_counts()
    in_gwas = strata[gwas].value_counts().reindex(in_module.index, fill_value=0)
    size = size[in_module.index]
    draws = rng.hypergeometric(
        in_gwas.to_numpy(), (size - in_gwas).to_numpy(), in_module.to_numpy(), (n_draws, len(size))
    ).sum(axis=1)
    observed = len(module.intersection(gwas))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = draws * (n - m - k + draws) / ((m - draws) * (k - draws))
    return {
        "empirical_p_value": float((1 + (draws >= observed).sum()) / (1 + n_draws)),
        "null_median_odds_ratio": float(np.nanmedian(odds)) if m else np.nan,
        "null_module_share": float((in_module**2 / size).sum() / m) if m else np.nan,
    }


def matched_gwas_test(
    module: Iterable[str],
    gwas_loci: pd.DataFrame,
    strata: pd.Series,
    min_gwas_genes: int,
    n_draws: int,
    rng: np.random.Generator,
    alpha: float = ALPHA,
) -> dict[str, float | int | str | bool]:
    """:func:`gwas_test` of a module with its GWAS loci and the matched null beside the Fisher p.

    ``gwas_loci`` has columns gene and locus (a disease's rows of the GWAS gene table) and ``strata``
    (:func:`matched_strata`) defines the universe. ``n_loci`` counts the distinct loci behind the
    module's overlap, so that a locus of several SNPs or genes counts once. ``length_density_bias`` is
    true when the Fisher p is below ``alpha`` but the matched empirical p is not: the overlap is no
    more than genes of the module's length and gene density collect. A skipped module gets NaN.
    """
    universe = set(strata.index)
    module = set(module) & universe
    result = gwas_test(module, set(gwas_loci["gene"]), universe, min_gwas_genes)
    if result["status"] != "tested":
        return {**result, **dict.fromkeys(NULL_FIELDS, np.nan), "length_density_bias": np.nan}
    n_loci = gwas_loci.loc[gwas_loci["gene"].isin(module), "locus"].nunique()
    null = matched_null(module, gwas_loci["gene"], strata, n_draws, rng)
    bias = bool(result["p_value"] < alpha <= null["empirical_p_value"])
    return {**result, "n_loci": n_loci, **null, "length_density_bias": bias}


def external_gwas_table(
    modules: dict[tuple[str, str], pd.DataFrame],
    case: str,
    gwas_loci: pd.DataFrame,
    strata: pd.Series,
    size: int,
    min_gwas_genes: int,
    n_draws: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The GWAS tests of an external dataset's modules, (model, layer, reference group) -> module
    (columns gene and rank; :func:`deepmodules.modules.external.external_modules`): each module's
    ``size`` top-ranked genes by :func:`matched_gwas_test` against the disease's ``gwas_loci``, one row
    per module with model, layer, case and reference, in the modules' order."""
    rows = []
    for (model, layer, group), module in modules.items():
        top = module.nsmallest(size, "rank")["gene"]
        result = matched_gwas_test(top, gwas_loci, strata, min_gwas_genes, n_draws, rng)
        rows.append({"model": model, "layer": layer, "case": case, "reference": group, **result})
        log.info(
            "%s vs %s at %s %s: %s, p = %.3g, matched null p = %.3g",
            case,
            group,
            model,
            layer,
            result["status"],
            result["p_value"],
            result["empirical_p_value"],
        )
    return pd.DataFrame(rows)


def adjust_and_combine(
    table: pd.DataFrame, by: Sequence[str] = ("model", "layer")
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Benjamini-Hochberg q-values over the tested rows of ``table``, and Fisher's combined p per ``by``.

    ``table`` has a ``p_value`` and a ``status`` column (:func:`gwas_test`); skipped rows keep a NaN
    q-value and do not count in the combined p. Returns the table with ``q_value`` and one row per
    group of ``by`` (in order of appearance): ``n_diseases`` tested and ``combined_p_value``.
    """
    by = list(by)
    tested = table["status"] == "tested"
    table = table.assign(q_value=np.nan)
    table.loc[tested, "q_value"] = benjamini_hochberg(table.loc[tested, "p_value"])
    rows = []
    for key, group in table.groupby(by, sort=False):
        p = group.loc[group["status"] == "tested", "p_value"]
        rows.append([*key, len(p), fisher_combined(p) if len(p) else np.nan])
    return table, pd.DataFrame(rows, columns=[*by, "n_diseases", "combined_p_value"])


def module_gwas_tables(
    modules: list[tuple[str, str, str, list[str], str]],
    gwas_genes: pd.DataFrame,
    strata: pd.Series,
    mappings: Sequence[str],
    configured: str,
    min_gwas_genes: int,
    n_draws: int,
    rng: np.random.Generator,
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per SNP-to-gene mapping: every module's :func:`matched_gwas_test`, and the table's
    :func:`adjust_and_combine` (rows in :data:`COLUMNS`, combined p per model and layer).

    ``modules`` are (disease, model, layer, top genes, status) — a status other than ``scored`` is a
    skipped module, recorded with NaN statistics; ``gwas_genes`` has the columns disease, mapping, gene
    and locus. Modules that cannot be tested under the ``configured`` mapping, and tests whose matched
    null draws more than half of its genes from the module itself, are logged as warnings.
    """
    tables = {}
    none = pd.DataFrame(columns=["gene", "locus"])
    skipped_fields = [*ENRICHMENT_FIELDS, *NULL_FIELDS, "length_density_bias"]
    for mapping in mappings:
        of_mapping = gwas_genes[gwas_genes["mapping"] == mapping]
        loci = {disease: rows[["gene", "locus"]] for disease, rows in of_mapping.groupby("disease")}
        rows = []
        for disease, model, layer, top, status in modules:
            if status != "scored":
                result = {**dict.fromkeys(skipped_fields, np.nan), "status": status}
            else:
                result = matched_gwas_test(
                    top, loci.get(disease, none), strata, min_gwas_genes, n_draws, rng
                )
            where = f"{disease}, {model} {layer}, {mapping} mapping"
            if result["status"] != "tested" and mapping == configured:
                log.warning("%s: %s", where, result["status"])
            elif result["status"] == "tested" and result["null_module_share"] > 0.5:
                log.warning(
                    "%s: gene sets matched on length and density share %.0f%% of the module's "
                    "genes; the matched null has little power here",
                    where,
                    100 * result["null_module_share"],
                )
            keys = {"disease": disease, "model": model, "layer": layer, "mapping": mapping}
            rows.append({**keys, **result})
        table, combined = adjust_and_combine(pd.DataFrame(rows))
        tables[mapping] = table[COLUMNS], combined
    return tables


def _even_bins(values: pd.Series, n_bins: int) -> np.ndarray:
    """Bin numbers 0..n_bins-1 of equal size by rank (ties broken in order of appearance)."""
    rank = values.rank(method="first").to_numpy() - 1
    return (rank * n_bins // len(values)).astype(int)
