"""GWAS SNPs to closest genes, on tiny files in the real GWAS Catalog, DisGeNET and refGene formats."""

from __future__ import annotations

import glob
import gzip
import os
import tempfile

import pandas as pd
import pytest

from deepmodules.errors import InputError
from deepmodules.gwas import (
    MappingStats,
    check_build,
    closest_genes,
    gwas_gene_sets,
    read_disgenet,
    read_gwas_catalog,
    read_refgene,
)

# name, chrom, strand, txStart, txEnd, name2
TRANSCRIPTS = [
    ("NM_3", "chr10", "+", 50, 80, "GENED"),
    ("NM_1", "chr1", "+", 1000, 2000, "GENEA"),
    ("NM_1b", "chr1", "+", 1000, 2500, "GENEA"),
    ("NM_2", "chr1", "-", 5000, 6000, "GENEB"),
    ("NM_9", "chr1_KI270706v1_random", "+", 0, 100000, "ALTGENE"),
    ("NM_5", "chr2", "+", 100, 300, "GENEZ"),
    ("NM_4", "chr2", "-", 100, 200, "GENEC"),
]

EFO = "http://www.ebi.ac.uk/efo/"
CATALOG_HEADER = [
    "DATE ADDED TO CATALOG", "PUBMEDID", "FIRST AUTHOR", "STUDY", "DISEASE/TRAIT", "REGION",
    "CHR_ID", "CHR_POS", "REPORTED GENE(S)", "MAPPED_GENE", "STRONGEST SNP-RISK ALLELE", "SNPS",
    "P-VALUE", "OR or BETA", "MAPPED_TRAIT", "MAPPED_TRAIT_URI", "STUDY ACCESSION",
]  # fmt: skip
# DISEASE/TRAIT, CHR_ID, CHR_POS, SNPS, MAPPED_TRAIT, MAPPED_TRAIT_URI
CATALOG_ROWS = [
    ("Asthma", "1", "2800", "rs2", "asthma", EFO + "MONDO_0004979"),
    ("Asthma", "1", "1500", "rs1", "asthma", EFO + "MONDO_0004979"),
    ("Asthma (childhood onset)", "1", "1500", "rs1", "childhood onset asthma", EFO + "EFO_0004591"),
    ("Asthma", "3", "100", "rs4", "asthma", EFO + "MONDO_0004979"),
    ("Asthma", "", "", "rs7 x rs8", "asthma", EFO + "MONDO_0004979"),
    ("Asthma", "6;6", "100;200", "rs9; rs10", "asthma", EFO + "MONDO_0004979"),
    ("Asthma", "2", "", "rs11", "asthma", EFO + "MONDO_0004979"),
    ("Inflammatory bowel disease", "10", "100", "rs5", "Crohn's disease, ulcerative colitis",
     EFO + "EFO_0000384, " + EFO + "EFO_0000729"),
    ("Body mass index in children", "1", "4800", "rs3", "body mass index, obesity",
     EFO + "EFO_0004340, " + EFO + "EFO_0001073"),
    ("Height", "2", "150", "rs6", "body height", EFO + "EFO_0004339"),
]  # fmt: skip


def write_refgene(path, transcripts=TRANSCRIPTS) -> None:
    lines = []
    for name, chrom, strand, start, end, gene in transcripts:
        fields = [585, name, chrom, strand, start, end, start, end, 1, f"{start},", f"{end},", 0]
        fields += [gene, "cmpl", "cmpl", "0,"]
        lines.append("\t".join(map(str, fields)))
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")


def write_catalog(path, rows=CATALOG_ROWS) -> None:
    lines = ["\t".join(CATALOG_HEADER)]
    for trait, chrom, pos, snps, mapped, uri in rows:
        record = dict.fromkeys(CATALOG_HEADER, "NR")
        record.update(
            {
                "DISEASE/TRAIT": trait,
                "CHR_ID": chrom,
                "CHR_POS": pos,
                "SNPS": snps,
                "MAPPED_TRAIT": mapped,
                "MAPPED_TRAIT_URI": uri,
                "STUDY": 'A "quoted" genome-wide association study',
            }
        )
        lines.append("\t".join(record[column] for column in CATALOG_HEADER))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def genes(tmp_path) -> pd.DataFrame:
    path = tmp_path / "refGene.txt.gz"
    write_refgene(path)
    return read_refgene(path)


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "gwas_catalog_associations.tsv"
    write_catalog(path)
    return path


TRAITS = {"asthma": ["asthma"], "crohns": ["EFO_0000384"], "obesity": ["Obesity"]}


def test_read_refgene(genes):
    assert list(genes.columns) == ["chrom", "start", "end", "gene", "strand"]
    assert len(genes) == 6 and "ALTGENE" not in set(genes["gene"])
    row = genes[genes["gene"] == "GENEB"].iloc[0]
    assert (row["chrom"], row["start"], row["end"], row["strand"]) == ("chr1", 5000, 6000, "-")


def test_refgene_wrong_format(tmp_path):
    path = tmp_path / "genes.bed"
    path.write_text("chr1\t10\t20\tGENEA\n")
    with pytest.raises(InputError, match="expected 16 tab-separated columns"):
        read_refgene(path)


def test_trait_matching_by_label_mapped_trait_and_ontology_id(catalog):
    snps = read_gwas_catalog(catalog, TRAITS)
    assert list(snps.columns) == ["disease", "snp", "chrom", "pos"]
    by_disease = snps.groupby("disease")["snp"].apply(sorted).to_dict()
    assert by_disease == {
        "asthma": ["rs1", "rs2", "rs4"],  # label; rs1 twice (also "childhood onset") kept once
        "crohns": ["rs5"],  # EFO id at the end of the second MAPPED_TRAIT_URI
        "obesity": ["rs3"],  # second MAPPED_TRAIT value, case-insensitive
    }
    assert snps.set_index("snp").loc["rs5", "chrom"] == "chr10"
    assert snps["pos"].dtype == "int64"


def test_messy_rows_are_skipped_and_counted(catalog):
    snps = read_gwas_catalog(catalog, {"asthma": ["ASTHMA"]})
    assert snps.attrs["n_skipped"] == 3  # multi-SNP, multi-position, empty position
    assert not snps["snp"].str.contains(r"\s|;").any()


def test_unmatched_disease_is_an_error(catalog):
    with pytest.raises(InputError, match="no association matches disease 'gout'"):
        read_gwas_catalog(catalog, {"asthma": ["asthma"], "gout": ["gout"]})


def test_missing_column_is_an_error(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("SNPS\tCHR_ID\nrs1\t1\n")
    with pytest.raises(InputError, match="missing column.*DISEASE/TRAIT"):
        read_gwas_catalog(path, TRAITS)


def test_read_disgenet(tmp_path):
    header = (
        "snpId\tchromosome\tposition\tDSI\tDPI\tdiseaseId\tdiseaseName\tdiseaseType\tscore\tsource"
    )
    rows = [
        "rs1\t1\t1500\t0.5\t0.8\tC0004096\tAsthma\tdisease\t0.7\tGWASCAT",
        "rs3\t1\t4800\t0.5\t0.8\tC0028754\tObesity\tdisease\t0.7\tGWASCAT",
        "rs5\t10\t100\t0.5\t0.8\tC0010346\tCrohn Disease\tdisease\t0.7\tGWASDB",
        "rs6\t2\t150\t0.5\t0.8\tC0005890\tBody Height\tphenotype\t0.7\tGWASCAT",
        "rs12\tX\t\t0.5\t0.8\tC0004096\tAsthma\tdisease\t0.7\tGWASCAT",
    ]
    path = tmp_path / "curated_variant_disease_associations.tsv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join([header, *rows]) + "\n")
    snps = read_disgenet(path, {"asthma": ["c0004096"], "crohns": ["crohn disease"]})
    assert snps[["disease", "snp", "chrom", "pos"]].values.tolist() == [
        ["asthma", "rs1", "chr1", 1500],
        ["crohns", "rs5", "chr10", 100],
    ]
    assert snps.attrs["n_skipped"] == 1


def test_closest_genes(catalog, genes):
    tmp_files_before = set(glob.glob(os.path.join(tempfile.gettempdir(), "pybedtools.*.tmp")))
    snps = read_gwas_catalog(catalog, TRAITS)
    snps = snps.sample(frac=1, random_state=1)  # unsorted input
    mapped, stats = closest_genes(snps, genes, source="catalog")
    got = {row.snp: (row.gene, row.distance) for row in mapped.itertuples()}
    assert got == {
        "rs1": ("GENEA", 0),  # inside GENEA
        "rs2": ("GENEA", 300),  # between GENEA (ends 2500) and GENEB (starts 5000): GENEA nearer
        "rs3": ("GENEB", 201),  # between them, nearer GENEB
        "rs5": ("GENED", 20),  # chr10 sorts before chr2 lexically; still mapped
    }
    assert stats == MappingStats(n_snps=5, n_mapped=4, n_no_gene_chrom=1)  # rs4 on chr3
    assert list(mapped.columns) == ["disease", "snp", "chrom", "pos", "gene", "distance"]
    after = set(glob.glob(os.path.join(tempfile.gettempdir(), "pybedtools.*.tmp")))
    assert after <= tmp_files_before


def test_tie_between_overlapping_genes_is_deterministic(genes):
    snps = pd.DataFrame({"disease": ["d"], "snp": ["rs6"], "chrom": ["chr2"], "pos": [150]})
    for order in (genes, genes.iloc[::-1]):
        mapped, _ = closest_genes(snps, order)
        assert mapped["gene"].tolist() == [
            "GENEC"
        ]  # GENEC and GENEZ both contain it; first by (start, end) wins


def test_universe_restricts_candidate_genes(catalog, genes):
    snps = read_gwas_catalog(catalog, TRAITS)
    mapped, _ = closest_genes(snps, genes, universe={"GENEB", "GENED"})
    assert mapped.set_index("snp").loc["rs1", "gene"] == "GENEB"
    assert set(mapped["gene"]) == {"GENEB", "GENED"}
    with pytest.raises(InputError, match="no gene of the coordinate table is in the gene universe"):
        closest_genes(snps, genes, universe={"ENSG00000141510"})


def test_only_snps_without_genes_is_an_error(genes):
    snps = pd.DataFrame({"disease": ["d", "d"], "snp": ["rs1", "rs2"], "chrom": ["chrY"] * 2})
    snps["pos"] = [100, 200]
    with pytest.raises(InputError, match="chrY_only.tsv: none of the 2 SNPs.*genome build"):
        closest_genes(snps, genes, source="chrY_only.tsv")


def test_gwas_gene_sets(catalog, genes):
    mapped, _ = closest_genes(read_gwas_catalog(catalog, TRAITS), genes)
    assert gwas_gene_sets(mapped) == {
        "asthma": {"GENEA"},
        "crohns": {"GENED"},
        "obesity": {"GENEB"},
    }


def test_check_build():
    check_build("GRCh38", "hg38", "config.gwas")
    check_build("hg19", "GRCh37", "config.gwas")
    with pytest.raises(InputError, match="config.gwas: SNP positions are on GRCh38 but gene"):
        check_build("GRCh38", "hg19", "config.gwas")
    with pytest.raises(InputError, match="unknown genome build 'mm10'"):
        check_build("mm10", "hg19", "config.gwas")
