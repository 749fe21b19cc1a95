"""Disease GWAS gene sets: disease-associated SNPs mapped to genes, and counted in loci.

Following the paper's Methods, each disease-associated SNP is assigned the closest gene with
``bedtools closest`` (here with ``-d`` to report the distance and ``-t first`` so that a tie between
equally close genes resolves to the first gene in coordinate order, deterministically). The alternative
``window`` mapping (as in PASCAL) assigns a SNP to every gene whose body ± ``window_kb`` contains it
(``bedtools window``). SNPs of one disease closer than ``locus_kb`` to each other form one locus, so that
ten SNPs in linkage disequilibrium count as one signal. SNPs come from the NHGRI-EBI GWAS Catalog (the
open default) or a user-supplied DisGeNET file; gene coordinates come from UCSC ``refGene.txt.gz``. The
SNP positions and the gene coordinates must share a genome build.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pybedtools

from deepmodules.errors import InputError

log = logging.getLogger(__name__)

MAPPINGS = ("closest", "window")


@dataclass(frozen=True)
class MappingStats:
    """Counts of (disease, SNP) rows given, mapped to a gene, and dropped for lack of genes on their
    chromosome or, in the window mapping, for lying farther than the window from every gene."""

    n_snps: int
    n_mapped: int
    n_no_gene_chrom: int
    n_beyond_window: int = 0


def closest_genes(
    snps: pd.DataFrame,
    genes: pd.DataFrame,
    universe: Iterable[str] | None = None,
    source: str = "SNP table",
) -> tuple[pd.DataFrame, MappingStats]:
    """Assign each SNP its closest gene with ``bedtools closest -d -t first``.

    ``snps`` has columns disease, snp, chrom, pos (1-based, becoming BED [pos-1, pos)); ``genes`` those
    of :func:`read_refgene`. With ``universe`` only genes in it are candidates. SNPs on chromosomes
    without any candidate gene are dropped and counted. ``source`` names the SNP file in errors.
    Returns the SNP columns (with any extra, such as ``locus``), gene and distance (bp, 0 inside a
    gene), and the counts.
    """
    genes = _candidate_genes(snps, genes, universe, source)
    hits = _bedtools(snps, genes, "closest", d=True, t="first")
    # BED3 SNP + BED6 gene + distance; bedtools reports gene "." and distance -1 when none exists.
    hits = pd.DataFrame({"chrom": hits[0], "pos": hits[2], "gene": hits[6], "distance": hits[9]})
    hits = hits[hits["distance"] >= 0]

    mapped = snps.merge(hits, on=["chrom", "pos"], how="inner")
    mapped = mapped.sort_values(["disease", "chrom", "pos", "snp"]).reset_index(drop=True)
    stats = MappingStats(len(snps), len(mapped), len(snps) - len(mapped))
    if stats.n_no_gene_chrom:
        log.info(
            "%s: %d of %d SNPs dropped, on chromosomes without genes",
            source,
            stats.n_no_gene_chrom,
            stats.n_snps,
        )
    return mapped[[*snps.columns, "gene", "distance"]], stats


def window_genes(
    snps: pd.DataFrame,
    genes: pd.DataFrame,
    window_kb: float,
    universe: Iterable[str] | None = None,
    source: str = "SNP table",
) -> tuple[pd.DataFrame, MappingStats]:
    """Assign each SNP every gene whose body ± ``window_kb`` contains it (``bedtools window -w``).

    This is the PASCAL-style mapping (±50 kb around the gene body by default): one SNP may count for
    several genes and a SNP in a gene desert for none. Inputs and output columns are those of
    :func:`closest_genes`; ``distance`` is the bedtools closest distance (0 inside the gene, else
    1 + the number of bases between SNP and gene). A (disease, SNP) row mapped to several genes appears
    once per gene; ``n_mapped`` counts the rows with at least one gene.
    """
    genes = _candidate_genes(snps, genes, universe, source)
    hits = _bedtools(snps, genes, "window", w=int(round(window_kb * 1000)))
    if hits.empty:
        hits = pd.DataFrame(columns=range(9))
    pos, start, end = (hits[i].astype("int64") for i in (2, 4, 5))
    distance = np.where(pos <= start, start - pos + 1, np.where(pos > end, pos - end, 0))
    hits = pd.DataFrame({"chrom": hits[0], "pos": pos, "gene": hits[6], "distance": distance})
    hits = hits.drop_duplicates(["chrom", "pos", "gene"])

    mapped = snps.merge(hits, on=["chrom", "pos"], how="inner")
    mapped = mapped.sort_values(["disease", "chrom", "pos", "snp", "gene"]).reset_index(drop=True)
    on_gene_chrom = snps["chrom"].isin(set(genes["chrom"]))
    n_mapped = len(mapped.drop_duplicates(["disease", "snp"]))
    stats = MappingStats(
        len(snps), n_mapped, int((~on_gene_chrom).sum()), int(on_gene_chrom.sum()) - n_mapped
    )
    log.info(
        "%s: %d of %d SNPs within %g kb of a gene; %d on chromosomes without genes, %d farther away",
        source,
        stats.n_mapped,
        stats.n_snps,
        window_kb,
        stats.n_no_gene_chrom,
        stats.n_beyond_window,
    )
    return mapped[[*snps.columns, "gene", "distance"]], stats


def map_snps(
    snps: pd.DataFrame, genes: pd.DataFrame, mapping: str, window_kb: float, source: str
) -> tuple[pd.DataFrame, MappingStats]:
    """SNPs to genes by ``mapping``: ``closest`` (:func:`closest_genes`, the paper) or ``window``."""
    if mapping == "closest":
        return closest_genes(snps, genes, source=source)
    if mapping == "window":
        return window_genes(snps, genes, window_kb, source=source)
    raise InputError(
        "config: gwas.mapping", f"unknown mapping '{mapping}'", "use closest or window"
    )


def assign_loci(snps: pd.DataFrame, locus_kb: float) -> pd.DataFrame:
    """Merge each disease's SNPs into loci: sorted by position, a SNP farther than ``locus_kb`` from
    the previous SNP of the disease on its chromosome starts a new locus (single linkage).

    Returns ``snps`` with a ``locus`` column named by the locus's first SNP (``chr6:31000000``).
    """
    order = snps.sort_values(["disease", "chrom", "pos"], kind="stable")
    previous = order.groupby(["disease", "chrom"])["pos"].shift()
    new = previous.isna() | (order["pos"] - previous > locus_kb * 1000)
    first = order["chrom"] + ":" + order["pos"].astype(str)
    order = order.assign(locus=first.where(new).ffill())
    return order.loc[snps.index]


def gene_features(genes: pd.DataFrame, density_kb: float) -> pd.DataFrame:
    """Gene length and local gene density, the two properties the matched null keeps.

    ``genes`` is :func:`read_refgene`'s table. ``length`` is the span of the gene's longest locus
    (bp); ``neighbours`` is the number of other gene spans within ± ``density_kb`` of that span, so
    that a gene in a gene-poor region (which collects SNPs under the closest-gene mapping) has few.
    """
    flank = int(round(density_kb * 1000))
    spans = genes.assign(length=genes["end"] - genes["start"]).sort_values(["chrom", "start"])
    neighbours = pd.Series(0, index=spans.index)
    for _, chrom in spans.groupby("chrom"):
        starts = np.sort(chrom["start"].to_numpy())
        ends = np.sort(chrom["end"].to_numpy())
        # spans with start < end + flank, minus those ending before start - flank, minus the gene
        reach = np.searchsorted(starts, chrom["end"].to_numpy() + flank, side="left")
        before = np.searchsorted(ends, chrom["start"].to_numpy() - flank, side="right")
        neighbours[chrom.index] = reach - before - 1
    spans = spans.assign(neighbours=neighbours)
    longest = spans.sort_values(["length", "chrom", "start"], ascending=[False, True, True])
    longest = longest.drop_duplicates("gene").sort_values("gene")
    return longest[["gene", "length", "neighbours"]].reset_index(drop=True)


def gwas_gene_sets(mapped: pd.DataFrame) -> dict[str, set[str]]:
    """Group the genes of :func:`closest_genes` (or :func:`window_genes`) into one set per disease.

    A gene counts once per disease, however many of the disease's SNPs or loci map to it.
    """
    return {disease: set(group["gene"]) for disease, group in mapped.groupby("disease")}


def gwas_summary(
    snps: pd.DataFrame, mapped: pd.DataFrame, diseases: Iterable[str], mapping: str
) -> pd.DataFrame:
    """One row per disease: its SNPs and loci, those mapped to a gene, its GWAS genes, why none.

    ``snps`` is the reader's table (:func:`read_gwas_catalog`, :func:`read_disgenet`), with the
    ``locus`` column of :func:`assign_loci`, and ``mapped`` that of :func:`closest_genes` or
    :func:`window_genes` for ``mapping`` (which names the rows). A disease can end with no gene when
    its associations have no single SNP position, when all its SNPs lie on chromosomes without genes
    or, in the window mapping, farther than the window from every gene; its gene set is then empty
    and downstream tests record it as skipped.
    """
    columns = ["disease", "mapping", "snps", "loci", "mapped_snps", "mapped_loci", "gwas_genes"]
    rows = []
    for disease in diseases:
        own = snps[snps["disease"] == disease]
        hits = mapped[mapped["disease"] == disease]
        mapped_snps = hits["snp"].nunique()
        if own.empty:
            note = "no association with a single SNP position"
        elif hits.empty and mapping == "closest":
            note = f"all {len(own)} SNPs on chromosomes without genes"
        elif hits.empty:
            note = f"none of {len(own)} SNPs within the window of a gene"
        else:
            note = ""
        loci = own.loc[own["snp"].isin(set(hits["snp"])), "locus"]
        rows.append(
            [disease, mapping, len(own), own["locus"].nunique(), mapped_snps, loci.nunique()]
            + [hits["gene"].nunique(), note]
        )
    return pd.DataFrame(rows, columns=[*columns, "note"])


def map_every_mapping(
    snps: pd.DataFrame,
    genes: pd.DataFrame,
    diseases: dict,
    window_kb: float,
    configured: str,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SNPs (with loci) mapped to ``genes`` by every mapping of :data:`MAPPINGS` (rows with a
    ``mapping`` column), and the :func:`gwas_summary` of each. What each mapping dropped is logged,
    and the diseases left without a GWAS gene under the ``configured`` mapping are warned about."""
    tables, summaries = [], []
    for mapping in MAPPINGS:
        mapped, stats = map_snps(snps, genes, mapping, window_kb, source=source)
        log.info(
            "%s: %d disease SNPs, %d mapped to a gene, %d on chromosomes without genes, "
            "%d beyond every gene's window",
            mapping,
            stats.n_snps,
            stats.n_mapped,
            stats.n_no_gene_chrom,
            stats.n_beyond_window,
        )
        summary = gwas_summary(snps, mapped, diseases, mapping)
        if mapping == configured:
            for row in summary[summary["note"] != ""].itertuples():
                log.warning("%s: no GWAS gene (%s); its gene set is empty", row.disease, row.note)
        tables.append(mapped.assign(mapping=mapping))
        summaries.append(summary)
    return pd.concat(tables, ignore_index=True), pd.concat(summaries, ignore_index=True)


def _candidate_genes(
    snps: pd.DataFrame, genes: pd.DataFrame, universe: Iterable[str] | None, source: str
) -> pd.DataFrame:
    """The genes a SNP may map to (those in ``universe``); an error when no SNP shares their chromosomes."""
    if universe is not None:
        genes = genes[genes["gene"].isin(set(universe))]
        if genes.empty:
            raise InputError(
                "gene coordinates",
                "no gene of the coordinate table is in the gene universe",
                "use the same gene identifiers (symbols) for expression data and gene coordinates",
            )
    if not set(snps["chrom"]) & set(genes["chrom"]):
        raise InputError(
            source,
            f"none of the {len(snps)} SNPs lies on a chromosome with genes "
            f"(SNP chromosomes: {', '.join(sorted(set(snps['chrom']))[:5]) or 'none'}; "
            f"gene chromosomes: {', '.join(sorted(set(genes['chrom']))[:5]) or 'none'})",
            "use the same chromosome naming (chr1) and the same genome build for SNPs and genes",
        )
    return genes


def _bedtools(snps: pd.DataFrame, genes: pd.DataFrame, operation: str, **options) -> pd.DataFrame:
    """Run ``bedtools <operation>`` of the SNP positions (BED3) against the genes (BED6), sorted.

    Returns bedtools' output table (SNP columns 0-2, gene columns 3-8, then any extra column).
    """
    positions = snps[["chrom", "pos"]].drop_duplicates().sort_values(["chrom", "pos"])
    snp_bed = pd.DataFrame(
        {"chrom": positions["chrom"], "start": positions["pos"] - 1, "end": positions["pos"]}
    )
    gene_bed = genes.assign(score=0)[["chrom", "start", "end", "gene", "score", "strand"]]
    gene_bed = gene_bed.sort_values(["chrom", "start", "end", "gene", "strand"])
    with tempfile.TemporaryDirectory(prefix=f"deepmodules-{operation}-") as tmp:
        a, b, out = (os.path.join(tmp, name) for name in ("snps.bed", "genes.bed", "out.bed"))
        snp_bed.to_csv(a, sep="\t", header=False, index=False)
        gene_bed.to_csv(b, sep="\t", header=False, index=False)
        getattr(pybedtools.BedTool(a), operation)(b, output=out, **options)
        if os.path.getsize(out) == 0:
            return pd.DataFrame()
        return pd.read_csv(out, sep="\t", header=None, dtype={0: str, 3: str, 6: str})
