"""Rule figure_gwas: Fig. 3 (microarrays) and Fig. 6 (RNA-seq), and their supplementary table.

The GEO series analysed with the dataset's autoencoder (external datasets of ``source: archs4``, the
paper's RNA-seq disease series) join the dataset's own diseases (:func:`deepmodules.figures.with_series`).
Against a bundle, the figure shows every external dataset, under the bundle's model and the naive
baseline.
"""

import pandas as pd

from deepmodules import figures
from deepmodules.workflow import run


def main(smk):
    read = {"sep": "\t", "keep_default_na": False, "na_values": [""]}
    named = dict(smk.input.items())
    table = pd.read_csv(named["table"], **read) if "table" in named else None
    sensitivity = pd.read_csv(named["sensitivity"], **read) if "sensitivity" in named else None
    series = {
        name.removeprefix("series:"): pd.read_csv(path, **read)
        for name, path in named.items()
        if name.startswith("series:")
    }
    if series:
        table, combined = figures.with_series(table, series)
    else:
        combined = pd.read_csv(named["combined"], **read)
    supplementary = figures.gwas_table(table, combined, sensitivity)
    verdicts = [
        pd.read_csv(path, **read) for name, path in named.items() if name.startswith("verdict")
    ]
    verdict = pd.concat(verdicts, ignore_index=True) if verdicts else None
    figures.save(figures.gwas_enrichment(table, verdict=verdict), smk.output.pdf, smk.output.png)
    supplementary.to_csv(smk.output.table, sep="\t", index=False, na_rep="NaN")


run(main, snakemake)  # noqa: F821
