"""GWAS SNPs to closest genes, on tiny files in the real GWAS Catalog, DisGeNET and refGene formats."""

from __future__ import annotations

import glob
import gzip
import os
import tempfile

import pandas as pd
import pytest

from deepmodules.data.gwas_sources import (
    canonical_chromosomes,
    check_build,
    read_associations,
    read_disgenet,
    read_gwas_catalog,
    read_refgene,
)
from deepmodules.errors import InputError
from deepmodules.validate.enrichment import gwas_test
from deepmodules.validate.gwas import (
    MAPPINGS,
    MappingStats,
    assign_loci,
    closest_genes,
    gene_features,
    gwas_gene_sets,
    gwas_summary,
    map_every_mapping,
    window_genes,
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
    return read_refgene(path, noncoding=True)


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "gwas_catalog_associations.tsv"
    write_catalog(path)
    return path


TRAITS = {"asthma": ["asthma"], "crohns": ["EFO_0000384"], "obesity": ["Obesity"]}


def test_read_refgene(genes):
    assert list(genes.columns) == ["chrom", "start", "end", "gene", "strand"]
    assert len(genes) == 5 and "ALTGENE" not in set(genes["gene"])
    row = genes[genes["gene"] == "GENEB"].iloc[0]
    assert (row["chrom"], row["start"], row["end"], row["strand"]) == ("chr1", 5000, 6000, "-")
    row = genes[genes["gene"] == "GENEA"].iloc[0]  # two transcripts: one span
    assert (row["start"], row["end"]) == (1000, 2500)


MESSY_TRANSCRIPTS = [
    ("NM_20", "chr1", "+", 4000, 4500, "GENEP"),
    ("NM_21", "chr1", "+", 3000, 3800, "GENEP"),  # unsorted; overlapping spans union to 3000-4500
    ("NM_22", "chr1", "+", 3500, 4200, "GENEP"),
    ("NM_30", "chrX", "+", 100, 900, "PARGENE"),  # pseudoautosomal: a span on X and one on Y
    ("NM_31", "chrY", "+", 100, 900, "PARGENE"),
    ("NM_40", "chrUn_KI270302v1", "+", 0, 500, "UNPLACED"),
    ("NM_41", "chr6_GL000251v2_alt", "+", 0, 500, "ALTGENE"),
    ("NM_42", "chr1_KI270706v1_random", "+", 0, 500, "RANDOMGENE"),
    ("NM_43", "chr1_KN196472v1_fix", "+", 0, 500, "FIXGENE"),
    ("NR_50", "chr2", "-", 100, 200, "LINC1"),  # non-coding only
    ("XR_51", "chr2", "-", 300, 400, "LOC2"),
    ("NR_52", "chr2", "+", 1000, 5000, "GENEQ"),  # a non-coding transcript of a coding gene
    ("NM_53", "chr2", "+", 1000, 2000, "GENEQ"),
    ("NM_60", "chrM", "+", 10, 20, "MT-ND1"),
]


def test_refgene_spans_contigs_and_noncoding_switch(tmp_path, caplog):
    path = tmp_path / "refGene.txt.gz"
    write_refgene(path, MESSY_TRANSCRIPTS)
    with caplog.at_level("INFO", logger="deepmodules.data"):
        genes = read_refgene(path, noncoding=True)
    spans = {(g.gene, g.chrom): (g.start, g.end) for g in genes.itertuples()}
    assert spans == {
        ("GENEP", "chr1"): (3000, 4500),
        ("PARGENE", "chrX"): (100, 900),
        ("PARGENE", "chrY"): (100, 900),
        ("LINC1", "chr2"): (100, 200),
        ("LOC2", "chr2"): (300, 400),
        ("GENEQ", "chr2"): (1000, 5000),
        ("MT-ND1", "chrM"): (10, 20),
    }
    assert genes[["chrom", "start"]].equals(
        genes.sort_values(["chrom", "start"])[["chrom", "start"]]
    )
    assert (
        "4 of 14 transcripts dropped on unplaced, alternative, random or fix contigs" in caplog.text
    )
    assert "non-overlapping" not in caplog.text  # GENEP's transcripts overlap: one locus
    with caplog.at_level("INFO", logger="deepmodules.data"):
        coding = read_refgene(path, noncoding=False)
    spans = {g.gene: (g.start, g.end) for g in coding.itertuples() if g.chrom == "chr2"}
    assert spans == {"GENEQ": (1000, 2000)}  # its coding transcript only
    assert "3 non-coding (NR_/XR_)" in caplog.text


def test_refgene_keeps_distant_copies_apart_and_reads_bare_chromosome_names(tmp_path, caplog):
    path = tmp_path / "refGene.txt.gz"
    write_refgene(
        path,
        [
            ("NM_1", "1", "+", 100, 200, "COPY"),
            ("NM_2", "1", "+", 9000, 9100, "COPY"),
            ("NM_3", "MT", "+", 10, 20, "MT-CO1"),
        ],
    )
    with caplog.at_level("INFO", logger="deepmodules.data"):
        genes = read_refgene(path, noncoding=True)
    assert genes[["chrom", "gene", "start", "end"]].values.tolist() == [
        ["chr1", "COPY", 100, 200],  # two copies far apart: two spans, not one from 100 to 9100
        ["chr1", "COPY", 9000, 9100],
        ["chrM", "MT-CO1", 10, 20],
    ]
    assert "1 genes have transcripts at several non-overlapping loci" in caplog.text
    snps = pd.DataFrame({"disease": ["d"], "snp": ["rs1"], "chrom": ["chr1"], "pos": [4000]})
    mapped, _ = closest_genes(snps, genes)
    assert mapped["distance"].tolist() == [3800]  # to the first copy, not 0 inside a union span


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("chr1", "chr1"), ("1", "chr1"), ("CHR22", "chr22"), ("x", "chrX"), ("23", "chrX"),
        ("24", "chrY"), ("chrY", "chrY"), ("MT", "chrM"), ("M", "chrM"), ("chrM", "chrM"),
        ("chrMT", "chrM"), ("25", None), ("0", None), ("chrUn_GL000220v1", None),
        ("chr6_GL000251v2_alt", None), ("6;6", None), ("", None),
    ],
)  # fmt: skip
def test_canonical_chromosomes(name, expected):
    got = canonical_chromosomes(pd.Series([name])).iloc[0]
    assert (None if pd.isna(got) else got) == expected


def test_snp_chromosome_spellings_match_refgene(tmp_path, genes):
    rows = [
        ("Asthma", chrom, "1500", f"rs{i}", "asthma", EFO + "MONDO_0004979")
        for i, chrom in enumerate(["chr1", "1", "23", "X", "24", "MT", "chrM", "25"])
    ]
    write_catalog(tmp_path / "c.tsv", rows)
    snps = read_gwas_catalog(tmp_path / "c.tsv", {"asthma": ["asthma"]})
    assert snps.set_index("snp")["chrom"].to_dict() == {
        "rs0": "chr1", "rs1": "chr1", "rs2": "chrX", "rs3": "chrX", "rs4": "chrY",
        "rs5": "chrM", "rs6": "chrM",
    }  # fmt: skip
    assert snps.attrs["n_skipped"] == 1  # chromosome 25
    mapped, _ = closest_genes(snps, genes)
    assert mapped.set_index("snp").loc[["rs0", "rs1"], "gene"].tolist() == ["GENEA", "GENEA"]


def test_a_snp_of_several_diseases_counts_for_each(catalog, genes):
    snps = read_gwas_catalog(catalog, {"crohns": ["EFO_0000384"], "uc": ["EFO_0000729"]})
    mapped, _ = closest_genes(snps, genes)
    assert mapped[["disease", "snp", "gene"]].values.tolist() == [
        ["crohns", "rs5", "GENED"],
        ["uc", "rs5", "GENED"],
    ]


def test_disease_without_snps_near_genes_gets_an_empty_set_and_a_reason(tmp_path, genes):
    rows = [
        ("Asthma", "1", "1500", "rs1", "asthma", EFO + "MONDO_0004979"),
        ("Gout", "Y", "100", "rs2", "gout", EFO + "EFO_0004274"),  # no gene on chrY here
        ("Gout", "Y", "900", "rs3", "gout", EFO + "EFO_0004274"),
        ("Lupus", "6;6", "1;2", "rs4; rs5", "lupus", EFO + "EFO_0002690"),  # no single position
    ]
    write_catalog(tmp_path / "c.tsv", rows)
    terms = {"asthma": ["asthma"], "gout": ["gout"], "lupus": ["lupus"]}
    snps = read_gwas_catalog(tmp_path / "c.tsv", terms)
    mapped, stats = closest_genes(snps, genes)
    assert stats == MappingStats(n_snps=3, n_mapped=1, n_no_gene_chrom=2)
    summary = gwas_summary(assign_loci(snps, 250), mapped, terms, "closest")
    assert summary.values.tolist() == [
        ["asthma", "closest", 1, 1, 1, 1, 1, ""],
        ["gout", "closest", 2, 1, 0, 0, 0, "all 2 SNPs on chromosomes without genes"],
        ["lupus", "closest", 0, 0, 0, 0, 0, "no association with a single SNP position"],
    ]
    sets = gwas_gene_sets(mapped)
    result = gwas_test({"GENEA"}, sets.get("gout", set()), {"GENEA", "GENEB"}, min_gwas_genes=1)
    assert result["status"].startswith("skipped: 0 GWAS genes")  # recorded downstream, no crash


def test_refgene_wrong_format(tmp_path):
    path = tmp_path / "genes.bed"
    path.write_text("chr1\t10\t20\tGENEA\n")
    with pytest.raises(InputError, match="expected 16 tab-separated columns"):
        read_refgene(path, noncoding=True)


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


def snp_table(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["disease", "snp", "chrom", "pos"])


def test_window_maps_a_snp_to_every_gene_within_the_flank(genes):
    snps = snp_table(
        [
            ("d", "rs1", "chr1", 1500),  # inside GENEA
            ("d", "rs2", "chr1", 3500),  # 1000 bp past GENEA's end (2500): at the edge, kept
            ("d", "rs3", "chr1", 3501),  # 1001 bp past GENEA, 1500 before GENEB: in no window
            ("d", "rs4", "chr2", 150),  # inside both GENEC and GENEZ
            ("d", "rs5", "chr3", 100),  # no gene on chr3
        ]
    )
    mapped, stats = window_genes(snps, genes, window_kb=1)
    got = sorted((row.snp, row.gene, row.distance) for row in mapped.itertuples())
    assert got == [
        ("rs1", "GENEA", 0),
        ("rs2", "GENEA", 1000),
        ("rs4", "GENEC", 0),
        ("rs4", "GENEZ", 0),
    ]
    assert stats == MappingStats(n_snps=5, n_mapped=3, n_no_gene_chrom=1, n_beyond_window=1)
    closest, _ = closest_genes(snps, genes)
    # on the genes both mappings give, the window reports the closest-gene distance
    both = mapped.merge(closest, on=["snp", "gene"])
    assert (both["distance_x"] == both["distance_y"]).all() and len(both) == 3
    summary = gwas_summary(assign_loci(snps, 250), mapped, ["d"], mapping="window")
    assert summary[
        ["snps", "loci", "mapped_snps", "mapped_loci", "gwas_genes"]
    ].values.tolist() == [[5, 3, 3, 2, 3]]
    far = snp_table([("e", "rs9", "chr1", 40_000)])
    summary = gwas_summary(assign_loci(far, 250), window_genes(far, genes, 1)[0], ["e"], "window")
    assert summary["note"].tolist() == ["none of 1 SNPs within the window of a gene"]


def test_snps_closer_than_the_locus_distance_form_one_locus():
    snps = snp_table(
        [
            ("d", "rs3", "chr1", 500_200),  # 300,100 bp after rs2: a new locus
            ("d", "rs1", "chr1", 100),
            ("d", "rs2", "chr1", 200_100),  # 200,000 bp after rs1: same locus
            ("d", "rs4", "chr2", 150),  # another chromosome
            ("e", "rs5", "chr1", 150),  # another disease, though next to rs1
        ]
    )
    loci = assign_loci(snps, locus_kb=250)
    assert loci["snp"].tolist() == snps["snp"].tolist()  # input order kept
    assert loci.set_index("snp")["locus"].to_dict() == {
        "rs1": "chr1:100", "rs2": "chr1:100", "rs3": "chr1:500200", "rs4": "chr2:150",
        "rs5": "chr1:150",
    }  # fmt: skip
    assert assign_loci(snps, locus_kb=0)["locus"].nunique() == 5


def test_gene_features_give_length_and_neighbours(genes):
    wide = gene_features(genes, density_kb=3).set_index("gene")
    assert wide["length"].to_dict() == {
        "GENEA": 1500, "GENEB": 1000, "GENEC": 100, "GENED": 30, "GENEZ": 200,
    }  # fmt: skip
    assert wide["neighbours"].to_dict() == {
        "GENEA": 1, "GENEB": 1, "GENEC": 1, "GENED": 0, "GENEZ": 1,
    }  # fmt: skip
    narrow = gene_features(genes, density_kb=1).set_index("gene")
    assert narrow.loc[["GENEA", "GENEB"], "neighbours"].tolist() == [0, 0]  # 2.5 kb apart


def test_every_mapping_maps_and_summarizes_and_the_configured_one_warns(tmp_path, genes, caplog):
    """Both mappings' rows, told apart by ``mapping``; a disease left without a gene is warned about
    under the configured mapping only."""
    rows = [
        ("Asthma", "1", "1500", "rs1", "asthma", EFO + "MONDO_0004979"),
        ("Gout", "Y", "100", "rs2", "gout", EFO + "EFO_0004274"),
    ]
    write_catalog(tmp_path / "c.tsv", rows)
    terms = {"asthma": {"gwas_terms": ["asthma"]}, "gout": {"gwas_terms": ["gout"]}}
    snps = assign_loci(read_associations("gwas_catalog", tmp_path / "c.tsv", terms), 250)
    with caplog.at_level("WARNING"):
        mapped, summary = map_every_mapping(snps, genes, terms, 10, "window", "c.tsv")
    assert set(mapped["mapping"]) == set(MAPPINGS) == set(summary["mapping"])
    for mapping in MAPPINGS:
        one = mapped[mapped["mapping"] == mapping]
        assert (one["disease"] == "asthma").all() and len(one) >= 1
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and warned[0].startswith("gout: no GWAS gene")
