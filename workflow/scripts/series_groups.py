"""Rule series_groups: the samples of a GEO series in an ARCHS4 file, their fields and groups."""

import logging

from deepmodules.data import series
from deepmodules.workflow import run


def main(smk):
    spec = smk.params.spec
    meta = series.series_metadata(
        spec["matrix"],
        spec["series"],
        smk.params.dataset["single_cell_threshold"],
        f"external.{smk.wildcards.external}.series",
    )
    table = series.series_listing(meta, spec["group_by"])
    table.to_csv(smk.output[0], sep="\t", index=False)
    logging.info("series %s: %d samples\n%s", spec["series"], len(table), table.to_string())


run(main, snakemake)  # noqa: F821
