"""Build the real-data test bed from pinned Debian packages of Bioconductor data.

Every input is a real public dataset shipped in a Debian package (pinned version, SHA-256 checked):

- ``bladder``: the bladder cancer microarrays of bladderbatch (57 Affymetrix HG-U133A arrays, RMA
  log2: 40 carcinomas, 8 normal mucosae, 9 biopsies, processed in 5 batches), written as an
  ArrayExpress processed matrix with probe-set ids (``1007_s_at``) under an ``ID_REF`` header, gzipped,
  and an SDRF. Probe sets map to symbols through GEOquery's copy of the GPL96 platform table (Entrez
  ids) and org.Hs.eg.db (current symbols).
- ``myoblast``: the HSMMSingleCell time course (271 single human skeletal muscle myoblasts, FPKM,
  0 h in growth medium and 24, 48 and 72 h in differentiation medium), written as log2(1 + FPKM) in a
  zipped processed matrix with versioned Ensembl gene ids under a ``Gene`` header and CRLF line ends.
  Ensembl ids map to symbols through org.Hs.eg.db. Genes at FPKM >= 1 in fewer than 10% of the cells
  are left out.
- a STRING subset (STRINGdb's 70,000 example interactions; scores 0-1 become combined scores 0-1000),
  with protein names from org.Hs.eg.db's Ensembl protein table;
- gene coordinates on hg38 in UCSC refGene layout, from org.Hs.eg.db's chromosome locations and
  RefSeq accessions (one row per gene and locus, single exon);
- HDL cholesterol GWAS genes (Mergeomics' example: markers with -log10 p >= 7.3 and the genes they map
  to), written in the GWAS Catalog layout with each SNP placed at the start of its gene, so that
  closest-gene mapping recovers the Mergeomics gene. HDL cholesterol is unrelated to both phenotypes:
  it is the test bed's negative control for GWAS enrichment.

Usage: ``python .test/real/build.py [--cache DIR] [--out DIR]``. Packages are downloaded once into the
cache; the fixtures are rebuilt only when this script or a package changes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import logging
import sqlite3
import tarfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from deepmodules.data.download import fetch, sha256sum
from deepmodules.simulate import GWAS_CATALOG_COLUMNS, ucsc_bin

log = logging.getLogger("real-data")

MIRROR = "http://deb.debian.org/debian/pool/main/r"
PACKAGES = {
    "bladderbatch": (
        "r-bioc-bladderbatch/r-bioc-bladderbatch_1.36.0-1_all.deb",
        "ad40440450a8c3ff07e074d9096d8318c46ee5dd98ee95dd22de3fbb6d3de6db",
    ),
    "hsmmsinglecell": (
        "r-bioc-hsmmsinglecell/r-bioc-hsmmsinglecell_1.18.0-1_all.deb",
        "ae4c4323c5a18f9bf37a2f493c704610622323dd195cb11f5ef121bda36ad1be",
    ),
    "org.hs.eg.db": (
        "r-bioc-org.hs.eg.db/r-bioc-org.hs.eg.db_3.16.0-1_all.deb",
        "0f61810d35b858915b1a9787d8dcab08b7e164c14c20a9e1d86eb9837308c2c2",
    ),
    "stringdb": (
        "r-bioc-stringdb/r-bioc-stringdb_2.10.1-1_all.deb",
        "c7bccfc8476b30ae42820eaba102c52f84d8161e2e59a1a0d67d6363a71c8dd8",
    ),
    "geoquery": (
        "r-bioc-geoquery/r-bioc-geoquery_2.66.0%2bdfsg-1_all.deb",
        "a644ceaa9520deabba006e34332dc8e33c0cc34fe8bc63113824dbc704bffb1c",
    ),
    "mergeomics": (
        "r-bioc-mergeomics/r-bioc-mergeomics_1.26.0-1_all.deb",
        "ce1a5e2a0911a057e57c015ae34a56cd6e018784345d188b55eaa356bb9c21a9",
    ),
}
LIBRARY = "./usr/lib/R/site-library"
MEMBERS = {
    "bladderbatch": "bladderbatch/data/bladderdata.rda",
    "hsmm_expr": "HSMMSingleCell/data/HSMM_expr_matrix.rda",
    "hsmm_samples": "HSMMSingleCell/data/HSMM_sample_sheet.rda",
    "orgdb": "org.Hs.eg.db/extdata/org.Hs.eg.sqlite",
    "string": "STRINGdb/data/interactions_example.rda",
    "gpl96": "GEOquery/extdata/GSE781_family.soft.gz",
    "hdl_genes": "Mergeomics/extdata/genes.hdlc_040kb_ld70.human_eliminated.txt",
    "hdl_markers": "Mergeomics/extdata/marker.hdlc_040kb_ld70.human_eliminated.txt",
}
PACKAGE_OF = {
    "bladderbatch": "bladderbatch",
    "hsmm_expr": "hsmmsinglecell",
    "hsmm_samples": "hsmmsinglecell",
    "orgdb": "org.hs.eg.db",
    "string": "stringdb",
    "gpl96": "geoquery",
    "hdl_genes": "mergeomics",
    "hdl_markers": "mergeomics",
}
CHROMOSOMES = [str(c) for c in range(1, 23)] + ["X", "Y", "MT"]
GENOME_WIDE = -np.log10(5e-8)
HDL_TRAIT = {
    "DISEASE/TRAIT": "HDL cholesterol",
    "MAPPED_TRAIT": "high density lipoprotein cholesterol measurement",
    "MAPPED_TRAIT_URI": "http://www.ebi.ac.uk/efo/EFO_0004612",
}


def deb_member(deb: Path, member: str, dest: Path) -> Path:
    """Extract one file of a Debian package's data archive (``ar`` container, tar inside)."""
    with open(deb, "rb") as handle:
        if handle.read(8) != b"!<arch>\n":
            raise ValueError(f"{deb}: not a Debian package")
        while header := handle.read(60):
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
            body = handle.read(size)
            handle.read(size % 2)
            if name.startswith("data.tar"):
                with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                    source = tar.extractfile(f"{LIBRARY}/{member}")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(source.read())
                    return dest
    raise ValueError(f"{deb}: no data archive")


def inputs(cache: Path) -> dict[str, Path]:
    """Download (once) the pinned packages and extract the files the fixtures are built from."""
    paths = {}
    for key, member in MEMBERS.items():
        package = PACKAGE_OF[key]
        url_path, sha256 = PACKAGES[package]
        deb = cache / Path(url_path).name.replace("%2b", "+")
        if not deb.exists() or sha256sum(deb) != sha256:
            log.info("downloading %s", url_path)
            fetch(f"{MIRROR}/{url_path}", deb, sha256=sha256)
        dest = cache / "extracted" / package / member
        if not dest.exists():
            deb_member(deb, member, dest)
        paths[key] = dest
    return paths


def read_r(path: Path) -> dict:
    """Objects of an R data file."""
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdata.read_rda(path)


def gzip_text(path: Path, text: str) -> None:
    """Write text gzipped, byte-reproducibly (no name or time in the header)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode())


class OrgDb:
    """org.Hs.eg.db: Entrez ids, symbols, Ensembl gene and protein ids, RefSeq and hg38 loci."""

    def __init__(self, path: Path):
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def table(self, name: str, column: str) -> pd.DataFrame:
        """One of the package's maps joined to Entrez id and symbol."""
        return pd.read_sql(
            f"SELECT g.gene_id AS entrez, i.symbol, t.{column} AS value FROM genes g "
            f"JOIN gene_info i ON g._id = i._id JOIN {name} t ON g._id = t._id",
            self.con,
        )

    def symbols(self) -> pd.Series:
        frame = pd.read_sql(
            "SELECT g.gene_id AS entrez, i.symbol FROM genes g JOIN gene_info i ON g._id = i._id",
            self.con,
        )
        return frame.set_index("entrez")["symbol"]

    def loci(self) -> pd.DataFrame:
        frame = pd.read_sql(
            "SELECT g.gene_id AS entrez, i.symbol, c.seqname, c.start_location AS start, "
            "c.end_location AS end FROM genes g JOIN gene_info i ON g._id = i._id "
            "JOIN chromosome_locations c ON g._id = c._id",
            self.con,
        )
        return frame[frame["seqname"].isin(CHROMOSOMES)]


def refgene(orgdb: OrgDb) -> pd.DataFrame:
    """One refGene row (single exon) per gene and locus; RefSeq NM_ (coding) else NR_ (non-coding)."""
    refseq = orgdb.table("refseq", "accession")
    refseq = refseq[refseq["value"].str.match(r"N[MR]_")].sort_values(["entrez", "value"])
    name = refseq.drop_duplicates("entrez").set_index("entrez")["value"]
    loci = orgdb.loci()
    loci = loci[loci["entrez"].isin(name.index)].drop_duplicates(["entrez", "seqname", "start"])
    strand = np.where(loci["start"] < 0, "-", "+")
    start = loci["start"].abs().to_numpy() - 1
    end = loci["end"].abs().to_numpy()
    low, high = np.minimum(start, end - 1), np.maximum(start + 1, end)
    names = loci["entrez"].map(name).to_numpy()
    coding = pd.Series(names).str.startswith("NM_").to_numpy()
    return pd.DataFrame(
        {
            "bin": [ucsc_bin(a, b) for a, b in zip(low, high, strict=True)],
            "name": names,
            "chrom": "chr" + loci["seqname"].to_numpy(),
            "strand": strand,
            "txStart": low,
            "txEnd": high,
            "cdsStart": np.where(coding, low, high),
            "cdsEnd": high,
            "exonCount": 1,
            "exonStarts": [f"{a}," for a in low],
            "exonEnds": [f"{b}," for b in high],
            "score": 0,
            "name2": loci["symbol"].to_numpy(),
            "cdsStartStat": np.where(coding, "cmpl", "none"),
            "cdsEndStat": np.where(coding, "cmpl", "none"),
            "exonFrames": np.where(coding, "0,", "-1,"),
        }
    ).sort_values(["chrom", "txStart", "name"])


def string_files(path: Path, orgdb: OrgDb) -> tuple[str, str]:
    """STRING links (both directions, space-separated) and protein info (v12 layout)."""
    links = read_r(path)["interactions_example"]
    links = pd.DataFrame(
        {
            "protein1": links["proteinA"].to_numpy(),
            "protein2": links["proteinB"].to_numpy(),
            "combined_score": np.rint(links["score"].to_numpy() * 1000).astype(int),
        }
    )
    both = pd.concat(
        [links, links.rename(columns={"protein1": "protein2", "protein2": "protein1"})]
    )
    both = both.sort_values(["protein1", "protein2"])
    prot = orgdb.table("ensembl_prot", "prot_id").drop_duplicates("value")
    symbol_of = dict(zip("9606." + prot["value"], prot["symbol"], strict=True))
    proteins = sorted(set(both["protein1"]))
    info = pd.DataFrame(
        {
            "#string_protein_id": proteins,
            "preferred_name": [symbol_of.get(p, p) for p in proteins],
            "protein_size": 0,
            "annotation": "annotation not available",
        }
    )
    return (
        both[["protein1", "protein2", "combined_score"]].to_csv(sep=" ", index=False),
        info.to_csv(sep="\t", index=False),
    )


def hdl_catalog(genes_path: Path, markers_path: Path, loci: pd.DataFrame) -> str:
    """HDL cholesterol GWAS genes in GWAS Catalog layout, one SNP per gene at the gene's start."""
    genes = pd.read_csv(genes_path, sep="\t")
    markers = pd.read_csv(markers_path, sep="\t")
    hits = genes.merge(markers[markers["VALUE"] >= GENOME_WIDE], on="MARKER")
    best = hits.sort_values(["VALUE", "MARKER"], ascending=[False, True]).drop_duplicates("GENE")
    place = loci.drop_duplicates("symbol").set_index("symbol")
    best = best[best["GENE"].isin(place.index)].sort_values("GENE")
    where = place.loc[best["GENE"]]
    catalog = pd.DataFrame("", index=range(len(best)), columns=GWAS_CATALOG_COLUMNS)
    for column, value in HDL_TRAIT.items():
        catalog[column] = value
    catalog["CHR_ID"] = where["seqname"].to_numpy()
    catalog["CHR_POS"] = where["start"].abs().to_numpy()
    catalog["SNPS"] = best["MARKER"].to_numpy()
    catalog["MAPPED_GENE"] = best["GENE"].to_numpy()
    catalog["P-VALUE"] = [f"{10**-v:.1e}" for v in best["VALUE"]]
    catalog["STUDY"] = "HDL cholesterol GWAS example of Mergeomics"
    return catalog.to_csv(sep="\t", index=False)


def gpl96_symbols(soft: Path, symbols: pd.Series) -> pd.DataFrame:
    """Probe set -> current symbol(s), through the GPL96 table's Entrez ids (``A /// B`` kept)."""
    with gzip.open(soft, "rt", encoding="latin-1") as handle:
        lines = iter(handle)
        for line in lines:
            if line.startswith("^PLATFORM = GPL96"):
                break
        for line in lines:
            if line.startswith("!platform_table_begin"):
                break
        rows = []
        header = next(lines).rstrip("\n").split("\t")
        for line in lines:
            if line.startswith("!platform_table_end"):
                break
            rows.append(line.rstrip("\n").split("\t"))
    table = pd.DataFrame(rows, columns=header)
    current = [
        " /// ".join(dict.fromkeys(symbols[e] for e in ids.split(" /// ") if e in symbols.index))
        for ids in table["ENTREZ_GENE_ID"]
    ]
    mapping = pd.DataFrame({"probe_set": table["ID"], "symbol": current})
    return mapping[mapping["symbol"] != ""]


def bladder(path: Path, out: Path) -> None:
    """Bladder carcinoma vs normal mucosa: gzipped matrix (``ID_REF``), SDRF (5 batches = studies)."""
    eset = read_r(path)["bladderEset"]
    values = eset.assayData["exprs"]
    probes = [str(p) for p in values.coords["dim_0"].values]
    arrays = [str(a).removesuffix(".CEL") for a in values.coords["dim_1"].values]
    pheno = eset.phenoData.data
    matrix = pd.DataFrame(np.asarray(values), index=pd.Index(probes, name="ID_REF"), columns=arrays)
    gzip_text(out / "bladder_expression.txt.gz", matrix.to_csv(sep="\t", float_format="%.5f"))
    disease = pheno["cancer"].map(
        {"Cancer": "bladder carcinoma", "Normal": "normal", "Biopsy": "biopsy"}
    )
    sdrf = pd.DataFrame(
        {
            "Source Name": [f"bladder sample {i}" for i in pheno["sample"].astype(int)],
            "Characteristics[organism]": "Homo sapiens",
            "Characteristics[organism part]": "urinary bladder",
            "Characteristics[cell type]": "bladder tissue",
            "Characteristics[disease]": disease.to_numpy(),
            "Characteristics[batch]": [f"batch {int(b)}" for b in pheno["batch"]],
            "Assay Name": arrays,
            "Array Design REF": "A-AFFY-33",
            "Derived Array Data Matrix File": "bladder_expression.txt",
        }
    )
    sdrf.to_csv(out / "bladder.sdrf.txt", sep="\t", index=False, lineterminator="\n")


def myoblast(expr_path: Path, samples_path: Path, out: Path) -> None:
    """Myoblast differentiation: zipped log2(1 + FPKM) matrix (``Gene``, CRLF), SDRF."""
    values = read_r(expr_path)["HSMM_expr_matrix"]
    sheet = read_r(samples_path)["HSMM_sample_sheet"]
    fpkm = np.asarray(values)
    expressed = (fpkm >= 1).mean(axis=1) >= 0.1
    genes = np.asarray(values.coords["dim_0"].values)[expressed]
    cells = [str(c) for c in values.coords["dim_1"].values]
    matrix = pd.DataFrame(
        np.log2(1 + fpkm[expressed]), index=pd.Index(genes, name="Gene"), columns=cells
    )
    text = matrix.to_csv(sep="\t", float_format="%.4f", lineterminator="\r\n")
    member = zipfile.ZipInfo("myoblast_expression.txt", date_time=(2020, 1, 1, 0, 0, 0))
    member.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out / "myoblast_expression.zip", "w") as archive:
        archive.writestr(member, text)
    hours = sheet.loc[cells, "Hours"].astype(int).to_numpy()
    phenotype = np.where(hours == 0, "undifferentiated", [f"differentiation {h} h" for h in hours])
    sdrf = pd.DataFrame(
        {
            "Source Name": cells,
            "Characteristics[organism]": "Homo sapiens",
            "Characteristics[cell type]": "skeletal muscle myoblast",
            "Characteristics[disease]": phenotype,
            "Characteristics[time]": [f"{h} h" for h in hours],
            "Characteristics[study]": "HSMM differentiation time course",
            "Comment[plate]": sheet.loc[cells, "Library"].str.split("_").str[0].to_numpy(),
            "Assay Name": cells,
            "Derived Array Data Matrix File": "myoblast_expression.txt",
        }
    )
    sdrf.to_csv(out / "myoblast.sdrf.txt", sep="\t", index=False, lineterminator="\n")


def build(cache: Path, out: Path) -> None:
    """Write every fixture file under ``out`` (``common/``, ``bladder/``, ``myoblast/``)."""
    paths = inputs(cache)
    for folder in ("common", "bladder", "myoblast"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    orgdb = OrgDb(paths["orgdb"])
    symbols = orgdb.symbols()

    genes = refgene(orgdb)
    gzip_text(out / "common/refGene.txt.gz", genes.to_csv(sep="\t", index=False, header=False))
    links, info = string_files(paths["string"], orgdb)
    gzip_text(out / "common/9606.protein.links.txt.gz", links)
    gzip_text(out / "common/9606.protein.info.txt.gz", info)
    catalog = hdl_catalog(paths["hdl_genes"], paths["hdl_markers"], orgdb.loci())
    (out / "common/gwas_catalog_hdl.tsv").write_text(catalog)

    bladder(paths["bladderbatch"], out / "bladder")
    gpl96_symbols(paths["gpl96"], symbols).to_csv(
        out / "bladder/gpl96_symbols.tsv", sep="\t", index=False
    )
    myoblast(paths["hsmm_expr"], paths["hsmm_samples"], out / "myoblast")
    ensembl = orgdb.table("ensembl", "ensembl_id").sort_values(["value", "entrez"])
    ensembl[["value", "symbol"]].rename(columns={"value": "ensembl_gene"}).to_csv(
        out / "myoblast/ensembl_symbols.tsv", sep="\t", index=False
    )


def stamp() -> str:
    """Fingerprint of this script and the pinned packages: a changed one rebuilds the fixtures."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(repr(sorted(PACKAGES.items())).encode())
    return digest.hexdigest()


def main() -> None:
    here = Path(__file__).parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/deepmodules-real-data")
    parser.add_argument("--out", type=Path, default=here / "resources")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    done = args.out / ".built"
    if done.exists() and done.read_text() == stamp():
        log.info("fixtures in %s are up to date", args.out)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    build(args.cache, args.out)
    done.write_text(stamp())
    log.info("fixtures written to %s", args.out)


if __name__ == "__main__":
    main()
