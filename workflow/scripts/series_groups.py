"""Rule series_groups: the samples of a GEO series (in an ARCHS4 file, or a series matrix), their
fields and groups."""

import logging

from deepmodules.data import series
from deepmodules.workflow import run


def main(smk):
    spec = smk.params.spec
    if spec["source"] == "archs4":
        meta = series.series_metadata(
            spec["matrix"],
            spec["series"],
            smk.params.dataset["single_cell_threshold"],
            f"external.{smk.wildcards.external}.series",
        )
    else:
        meta = series.read_series_matrix_samples(spec.get("annotation") or spec["matrix"])
    table = series.series_listing(meta, spec["group_by"])
    table.to_csv(smk.output[0], sep="\t", index=False)
    name = spec.get("series") or spec["matrix"]
    logging.info("%s: %d samples\n%s", name, len(table), table.to_string())


run(main, snakemake)  # noqa: F821
