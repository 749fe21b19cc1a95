"""Rule download: fetch one source file atomically and verify its pinned checksum."""

import logging

from deepmodules.data.download import fetch
from deepmodules.workflow import run


def main(smk):
    digest = fetch(smk.params.url, smk.output[0], sha256=smk.params.sha256)
    if smk.params.sha256 is None:
        logging.warning(
            "%s has no pinned checksum; pin it in config downloads: sha256: %s",
            smk.output[0],
            digest,
        )


run(main, snakemake)  # noqa: F821
