"""The GWAS inputs, read and checked: disease-associated SNPs from the NHGRI-EBI GWAS Catalog or a
DisGeNET file, matched to diseases by trait terms, and gene coordinates from UCSC ``refGene.txt.gz``;
chromosome names made canonical and genome builds compared.
"""

from __future__ import annotations

import csv
import logging
import os

import pandas as pd

from deepmodules.data.tables import read_table
from deepmodules.errors import InputError, readable

log = logging.getLogger(__name__)

GENE_COLUMNS = ["chrom", "start", "end", "gene", "strand"]
REFGENE_COLUMNS = [
    "bin", "name", "chrom", "strand", "txStart", "txEnd", "cdsStart", "cdsEnd", "exonCount",
    "exonStarts", "exonEnds", "score", "name2", "cdsStartStat", "cdsEndStat", "exonFrames",
]  # fmt: skip
BUILD_ALIASES = {
    "hg18": "GRCh36", "ncbi36": "GRCh36", "grch36": "GRCh36",
    "hg19": "GRCh37", "grch37": "GRCh37",
    "hg38": "GRCh38", "grch38": "GRCh38",
}  # fmt: skip


def read_gwas_catalog(path: str | os.PathLike, traits: dict[str, list[str]]) -> pd.DataFrame:
    """Read disease SNPs from an NHGRI-EBI GWAS Catalog associations TSV (positions GRCh38, 1-based).

    A row belongs to a disease when one of its terms equals, ignoring case, the row's DISEASE/TRAIT,
    one of its comma-separated MAPPED_TRAIT labels, or the ontology id (e.g. EFO_0000270) that ends one
    of its comma-separated MAPPED_TRAIT_URI values. Returns columns disease, snp, chrom, pos.
    """
    table = _read_associations(
        path, ["DISEASE/TRAIT", "CHR_ID", "CHR_POS", "SNPS", "MAPPED_TRAIT", "MAPPED_TRAIT_URI"]
    )
    uri_ids = table["MAPPED_TRAIT_URI"].str.split(",").explode().str.strip().str.rsplit("/", n=1)
    keys = pd.concat(
        [table["DISEASE/TRAIT"], table["MAPPED_TRAIT"].str.split(",").explode(), uri_ids.str[-1]]
    )
    rows = table.rename(columns={"SNPS": "snp", "CHR_ID": "chrom", "CHR_POS": "pos"})
    return _match_and_clean(rows, keys, traits, path)


def read_disgenet(path: str | os.PathLike, diseases: dict[str, list[str]]) -> pd.DataFrame:
    """Read disease SNPs from DisGeNET ``curated_variant_disease_associations.tsv.gz``.

    A row belongs to a disease when one of its terms equals, ignoring case, the row's diseaseId
    (a UMLS CUI such as C0004096) or diseaseName. Returns columns disease, snp, chrom, pos.
    """
    table = _read_associations(
        path, ["snpId", "chromosome", "position", "diseaseId", "diseaseName"]
    )
    keys = pd.concat([table["diseaseId"], table["diseaseName"]])
    rows = table.rename(columns={"snpId": "snp", "chromosome": "chrom", "position": "pos"})
    return _match_and_clean(rows, keys, diseases, path)


def canonical_chromosomes(names: pd.Series) -> pd.Series:
    """UCSC chromosome names (``chr1``…``chr22``, ``chrX``, ``chrY``, ``chrM``) from any common spelling.

    ``chr`` is optional and case is ignored; ``23`` is X, ``24`` is Y, ``MT`` and ``M`` are the
    mitochondrial chromosome (as in PLINK and Ensembl). Anything else (``chrUn_*``, ``*_alt``,
    ``*_random``, ``*_fix``, ``25``) becomes NaN.
    """
    bare = names.str.strip().str.replace(r"^chr", "", case=False, regex=True).str.upper()
    bare = bare.replace({"23": "X", "24": "Y", "MT": "M"})
    valid = bare.str.fullmatch(r"[1-9]|1[0-9]|2[0-2]|X|Y|M")
    return ("chr" + bare).where(valid)


def read_refgene(path: str | os.PathLike, noncoding: bool) -> pd.DataFrame:
    """Read UCSC refGene (genePred with a leading bin column) into one BED-like span per gene locus.

    txStart/txEnd are already 0-based half-open, as in BED. The gene is the symbol in name2. Its
    overlapping transcripts on a chromosome form one locus, whose span is their union (first txStart
    to last txEnd): the distance from a SNP to that span is its distance to the nearest of the
    transcripts. A gene keeps one span per chromosome (chrX and chrY for pseudoautosomal genes) and,
    rarely, per distant copy on one chromosome (counted in the log), so that a SNP between two copies
    is not placed inside the gene. Rows may come in any order. Transcripts on unplaced, alternative,
    random and fix contigs are dropped and counted; so are non-coding transcripts (``NR_``/``XR_``
    accessions) when ``noncoding`` is false.
    """
    try:
        with readable(path):
            table = pd.read_csv(path, sep="\t", header=None, dtype=str, na_filter=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(
            path, f"cannot read refGene table ({err})", "supply UCSC refGene.txt.gz"
        ) from err
    if table.shape[1] != len(REFGENE_COLUMNS):
        raise InputError(
            path,
            f"expected {len(REFGENE_COLUMNS)} tab-separated columns (genePred with bin), found {table.shape[1]}",
            "supply UCSC refGene.txt.gz as downloaded from the UCSC goldenPath database directory",
        )
    table.columns = REFGENE_COLUMNS
    chrom = canonical_chromosomes(table["chrom"])
    on_contig = chrom.isna()
    coding = ~table["name"].str.match(r"[NX]R_")
    keep = ~on_contig & (coding | noncoding)
    log.info(
        "%s: %d of %d transcripts dropped on unplaced, alternative, random or fix contigs%s",
        path,
        int(on_contig.sum()),
        len(table),
        "" if noncoding else f", {int((~on_contig & ~coding).sum())} non-coding (NR_/XR_)",
    )
    transcripts = pd.DataFrame(
        {
            "chrom": chrom,
            "start": pd.to_numeric(table["txStart"], errors="coerce"),
            "end": pd.to_numeric(table["txEnd"], errors="coerce"),
            "gene": table["name2"],
            "strand": table["strand"],
        }
    )[keep]
    if transcripts[["start", "end"]].isna().any().any():
        raise InputError(
            path, "non-numeric txStart/txEnd", "supply an unmodified UCSC refGene file"
        )
    transcripts = transcripts.sort_values(["gene", "chrom", "start", "end"], kind="stable")
    gene_chrom = [transcripts["gene"], transcripts["chrom"]]
    reach = transcripts.groupby(gene_chrom, sort=False)["end"].cummax()
    new_locus = transcripts["start"] > reach.groupby(gene_chrom, sort=False).shift()
    transcripts["locus"] = new_locus.groupby(gene_chrom, sort=False).cumsum()
    if new_locus.any():
        log.info(
            "%s: %d genes have transcripts at several non-overlapping loci of one chromosome; "
            "each locus keeps its own span",
            path,
            transcripts.loc[new_locus, "gene"].nunique(),
        )
    genes = transcripts.groupby(["gene", "chrom", "locus"], sort=False).agg(
        start=("start", "min"), end=("end", "max"), strand=("strand", "first")
    )
    genes = genes.reset_index()[GENE_COLUMNS].sort_values(["chrom", "start", "end", "gene"])
    return genes.astype({"start": "int64", "end": "int64"}).reset_index(drop=True)


def check_build(snp_build: str, gene_build: str, where: str) -> None:
    """Raise InputError unless SNPs and genes use the same genome build (hg19 = GRCh37, hg38 = GRCh38)."""
    builds = []
    for build in (snp_build, gene_build):
        if build.strip().lower() not in BUILD_ALIASES:
            raise InputError(
                where, f"unknown genome build '{build}'", "use one of hg19, GRCh37, hg38, GRCh38"
            )
        builds.append(BUILD_ALIASES[build.strip().lower()])
    if builds[0] != builds[1]:
        raise InputError(
            where,
            f"SNP positions are on {snp_build} but gene coordinates on {gene_build}",
            "use gene coordinates (refGene) of the SNP file's genome build",
        )


def _read_associations(path: str | os.PathLike, required: list[str]) -> pd.DataFrame:
    """An association table (GWAS Catalog or DisGeNET) with its ``required`` columns."""
    fix = "supply the association table in its original tab-separated format"
    return read_table(path, required, "association table", fix, quoting=csv.QUOTE_NONE)


def _match_and_clean(
    rows: pd.DataFrame, keys: pd.Series, terms: dict[str, list[str]], path: str | os.PathLike
) -> pd.DataFrame:
    """Attach diseases to rows whose keys (indexed like ``rows``) equal a term; clean positions.

    Rows without exactly one chromosome and one integer position are skipped and counted in
    ``frame.attrs["n_skipped"]``; chromosomes become UCSC names (:func:`canonical_chromosomes`);
    (disease, snp) pairs are unique, and a SNP of several diseases is kept for each.
    """
    term_table = pd.DataFrame(
        [(term.strip().lower(), disease) for disease, names in terms.items() for term in names],
        columns=["key", "disease"],
    )
    row_keys = pd.DataFrame({"row": keys.index, "key": keys.str.strip().str.lower().to_numpy()})
    matches = row_keys.merge(term_table, on="key")[["row", "disease"]].drop_duplicates()
    found = rows.loc[matches["row"], ["snp", "chrom", "pos"]].assign(
        disease=matches["disease"].to_numpy()
    )
    for disease in terms:
        if not (found["disease"] == disease).any():
            raise InputError(
                path,
                f"no association matches disease '{disease}' (terms: {', '.join(terms[disease])})",
                "correct the trait terms in config (a trait label or an ontology id such as "
                "EFO_0000270) or remove the disease",
            )

    chrom = canonical_chromosomes(found["chrom"])
    snp = found["snp"].str.strip()
    pos = found["pos"].str.strip()
    valid = chrom.notna() & pos.str.fullmatch(r"[0-9]+") & snp.str.fullmatch(r"[^\s;,]+")
    clean = pd.DataFrame(
        {
            "disease": found["disease"][valid],
            "snp": snp[valid],
            "chrom": chrom[valid],
            "pos": pos[valid].astype("int64"),
        }
    )
    clean = clean.drop_duplicates(["disease", "snp"]).sort_values(["disease", "snp"])
    clean = clean.reset_index(drop=True)
    n_skipped = int((~valid).sum())
    if n_skipped:
        log.info(
            "%s: skipped %d associations without a single SNP position on a chromosome",
            path,
            n_skipped,
        )
    clean.attrs["n_skipped"] = n_skipped
    return clean


def read_associations(source: str, path: str, diseases: dict) -> pd.DataFrame:
    """The disease SNPs of the configured association ``source`` (``gwas_catalog``: each disease's
    ``gwas_terms``; ``disgenet``: its ``disgenet_terms``), as :func:`read_gwas_catalog` and
    :func:`read_disgenet` return them."""
    if source == "disgenet":
        return read_disgenet(
            path, {d: spec.get("disgenet_terms", []) for d, spec in diseases.items()}
        )
    return read_gwas_catalog(path, {d: spec["gwas_terms"] for d, spec in diseases.items()})
