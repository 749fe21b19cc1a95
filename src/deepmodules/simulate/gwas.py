"""Writers of the GWAS stand-ins: SNPs near planted module genes and decoys, as DisGeNET variant-disease
associations and as GWAS Catalog associations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.simulate.files import DISGENET_FILE, GWAS_CATALOG_FILE, _gzip_text
from deepmodules.simulate.params import CHRY_LENGTH, DISEASES, EFO_PREFIX

DISGENET_COLUMNS = [
    "snpId",
    "chromosome",
    "position",
    "DSI",
    "DPI",
    "diseaseId",
    "diseaseName",
    "diseaseType",
    "diseaseClass",
    "diseaseSemanticType",
    "score",
    "EI",
    "YearInitial",
    "YearFinal",
    "NofPmids",
    "source",
]

GWAS_CATALOG_COLUMNS = [
    "DATE ADDED TO CATALOG",
    "PUBMEDID",
    "FIRST AUTHOR",
    "DATE",
    "JOURNAL",
    "LINK",
    "STUDY",
    "DISEASE/TRAIT",
    "INITIAL SAMPLE SIZE",
    "REPLICATION SAMPLE SIZE",
    "REGION",
    "CHR_ID",
    "CHR_POS",
    "REPORTED GENE(S)",
    "MAPPED_GENE",
    "UPSTREAM_GENE_ID",
    "DOWNSTREAM_GENE_ID",
    "SNP_GENE_IDS",
    "UPSTREAM_GENE_DISTANCE",
    "DOWNSTREAM_GENE_DISTANCE",
    "STRONGEST SNP-RISK ALLELE",
    "SNPS",
    "MERGED",
    "SNP_ID_CURRENT",
    "CONTEXT",
    "INTERGENIC",
    "RISK ALLELE FREQUENCY",
    "P-VALUE",
    "PVALUE_MLOG",
    "P-VALUE (TEXT)",
    "OR or BETA",
    "95% CI (TEXT)",
    "PLATFORM [SNPS PASSING QC]",
    "CNV",
    "MAPPED_TRAIT",
    "MAPPED_TRAIT_URI",
    "STUDY ACCESSION",
    "GENOTYPING TECHNOLOGY",
]


def _snp_near(rng: np.random.Generator, p: dict, body: pd.DataFrame, gene: int) -> tuple[str, int]:
    """A SNP (chromosome, 1-based position) inside the gene or within ``snp_flank`` bp of it."""
    start, end = int(body.at[gene, "start"]), int(body.at[gene, "end"])
    position = int(rng.integers(start + 1 - p["snp_flank"], end + p["snp_flank"] + 1))
    return str(body.at[gene, "chrom"]), position


def _write_gwas(
    outdir: Path,
    p: dict,
    symbols: list[str],
    modules: dict[str, list[int]],
    body: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Place disease SNPs and write them as DisGeNET and GWAS Catalog associations.

    Returns the GWAS genes (module genes with SNPs) and decoy genes of each disease.
    """
    in_modules = {g for genes in modules.values() for g in genes}
    outside = np.array([g for g in range(len(symbols)) if g not in in_modules])
    snps = []  # (disease id, chromosome, 1-based position or -1, gene or -1)
    gwas_genes, decoy_genes = {}, {}
    for disease_id in p["diseases"]:
        module = np.array(modules[disease_id], dtype=np.int64)
        gwas = rng.choice(module, round(p["gwas_fraction"] * len(module)), replace=False)
        decoys = rng.choice(outside, p["n_decoy_genes"], replace=False)
        gwas_genes[disease_id] = sorted(gwas.tolist())
        decoy_genes[disease_id] = sorted(decoys.tolist())
        for gene in gwas.tolist():
            for _ in range(int(rng.integers(1, p["max_snps_per_gene"] + 1))):
                snps.append((disease_id, *_snp_near(rng, p, body, gene), gene))
        for gene in decoys.tolist():
            snps.append((disease_id, *_snp_near(rng, p, body, gene), gene))
        for _ in range(p["n_chry_snps"]):
            snps.append((disease_id, "Y", int(rng.integers(1, CHRY_LENGTH + 1)), -1))
        snps += [(disease_id, "", -1, -1)] * p["n_unplaced_snps"]
    table = pd.DataFrame(snps, columns=["disease_id", "chrom", "position", "gene"])
    n_haplotype = p["n_haplotype_rows"] * len(p["diseases"])
    rs_numbers = rng.choice(200_000_000, len(table) + 2 * n_haplotype, replace=False) + 1000
    table["rs"] = rs_numbers[: len(table)]
    table["pvalue_exponent"] = rng.integers(8, 30, size=len(table))
    table["pvalue_mantissa"] = rng.integers(1, 10, size=len(table))
    table["inside"] = [
        gene >= 0 and int(body.at[gene, "start"]) < position <= int(body.at[gene, "end"])
        for gene, position in zip(table["gene"], table["position"], strict=True)
    ]

    _write_disgenet(outdir / DISGENET_FILE, table, rng)
    haplotypes = rs_numbers[len(table) :].reshape(-1, 2)
    _write_gwas_catalog(outdir / GWAS_CATALOG_FILE, p, symbols, table, haplotypes, rng)
    return gwas_genes, decoy_genes


def _write_disgenet(path: Path, table: pd.DataFrame, rng: np.random.Generator) -> None:
    """DisGeNET curated variant–disease associations (gzip, tab-separated)."""
    disease = table["disease_id"].map(DISEASES)
    year = rng.integers(2008, 2020, size=len(table))
    disgenet = pd.DataFrame(
        {
            "snpId": "rs" + table["rs"].astype(str),
            "chromosome": table["chrom"],
            "position": [str(x) if x > 0 else "" for x in table["position"]],
            "DSI": np.round(rng.uniform(0.3, 1.0, len(table)), 3),
            "DPI": np.round(rng.uniform(0.1, 1.0, len(table)), 3),
            "diseaseId": [d["disgenet_id"] for d in disease],
            "diseaseName": [d["disgenet_name"] for d in disease],
            "diseaseType": "disease",
            "diseaseClass": [d["disgenet_class"] for d in disease],
            "diseaseSemanticType": [d["semantic_type"] for d in disease],
            "score": 0.7,
            "EI": 1.0,
            "YearInitial": year,
            "YearFinal": year,
            "NofPmids": 1,
            "source": "GWASCAT",
        },
        columns=DISGENET_COLUMNS,
    )
    with _gzip_text(path) as text:
        disgenet.to_csv(text, sep="\t", index=False, lineterminator="\n")


def _write_gwas_catalog(
    path: Path,
    p: dict,
    symbols: list[str],
    table: pd.DataFrame,
    haplotypes: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """GWAS Catalog associations (v1.0.2 column set), one study per disease, plus messy rows."""
    study_number = {disease_id: i for i, disease_id in enumerate(p["diseases"])}
    rows = []
    for record in table.itertuples(index=False):
        gene = symbols[record.gene] if record.gene >= 0 else ""
        pvalue = record.pvalue_mantissa * 10.0 ** (-record.pvalue_exponent)
        rows.append(
            {
                "CHR_ID": record.chrom,
                "CHR_POS": str(record.position) if record.position > 0 else "",
                "REPORTED GENE(S)": gene or "NR",
                "MAPPED_GENE": gene,
                "SNP_GENE_IDS": f"ENSG{100_000_000 + record.gene:011d}" if gene else "",
                "STRONGEST SNP-RISK ALLELE": f"rs{record.rs}-{'ACGT'[record.rs % 4]}",
                "SNPS": f"rs{record.rs}",
                "SNP_ID_CURRENT": str(record.rs),
                "CONTEXT": "intron_variant" if record.inside else "intergenic_variant",
                "INTERGENIC": "0" if record.inside else "1",
                "P-VALUE": f"{record.pvalue_mantissa}E-{record.pvalue_exponent}",
                "PVALUE_MLOG": f"{-np.log10(pvalue):.12g}",
                **_catalog_study(record.disease_id, study_number[record.disease_id]),
            }
        )
    for h, (first, second) in enumerate(haplotypes.tolist()):
        disease_id = p["diseases"][h % len(p["diseases"])]
        rows.append(
            {
                "CHR_ID": "",
                "CHR_POS": "",
                "REPORTED GENE(S)": "NR",
                "MAPPED_GENE": "",
                "STRONGEST SNP-RISK ALLELE": f"rs{first}-A; rs{second}-G",
                "SNPS": f"rs{first} x rs{second}",
                "P-VALUE": "2E-8",
                "PVALUE_MLOG": f"{-np.log10(2e-8):.12g}",
                **_catalog_study(disease_id, study_number[disease_id]),
            }
        )
    catalog = pd.DataFrame(rows, columns=GWAS_CATALOG_COLUMNS)
    n = len(catalog)
    catalog["REPLICATION SAMPLE SIZE"] = "NA"
    catalog["UPSTREAM_GENE_ID"] = ""
    catalog["DOWNSTREAM_GENE_ID"] = ""
    catalog["UPSTREAM_GENE_DISTANCE"] = ""
    catalog["DOWNSTREAM_GENE_DISTANCE"] = ""
    catalog["MERGED"] = "0"
    catalog["RISK ALLELE FREQUENCY"] = [f"{x:.2f}" for x in rng.uniform(0.05, 0.95, n)]
    catalog["P-VALUE (TEXT)"] = ""
    odds = rng.uniform(1.05, 1.5, n)
    catalog["OR or BETA"] = [f"{x:.2f}" for x in odds]
    catalog["95% CI (TEXT)"] = [f"[{x - 0.04:.2f}-{x + 0.04:.2f}]" for x in odds]
    catalog["PLATFORM [SNPS PASSING QC]"] = "Illumina [2500000] (imputed)"
    catalog["CNV"] = "N"
    catalog["GENOTYPING TECHNOLOGY"] = "Genome-wide genotyping array"
    catalog = catalog.fillna("")
    catalog.to_csv(path, sep="\t", index=False, lineterminator="\n")


def _catalog_study(disease_id: str, number: int) -> dict[str, str]:
    """The study-level columns of a GWAS Catalog row for the disease's (one) study."""
    disease = DISEASES[disease_id]
    pubmed = str(20_000_001 + 7919 * number)
    return {
        "DATE ADDED TO CATALOG": "2019-05-13",
        "PUBMEDID": pubmed,
        "FIRST AUTHOR": f"Author{number + 1} A",
        "DATE": "2019-04-01",
        "JOURNAL": "Nat Genet",
        "LINK": f"www.ncbi.nlm.nih.gov/pubmed/{pubmed}",
        "STUDY": f"Genome-wide association study of {disease['trait']}.",
        "DISEASE/TRAIT": disease["catalog_trait"],
        "INITIAL SAMPLE SIZE": "12,000 European ancestry cases, 30,000 European ancestry controls",
        "REGION": "",
        "MAPPED_TRAIT": disease["trait"],
        "MAPPED_TRAIT_URI": EFO_PREFIX + disease["efo_id"],
        "STUDY ACCESSION": f"GCST{900_001 + number:06d}",
    }
