"""Rule modules_gmt: every disease module (top genes) as one GMT gene set."""

from pathlib import Path

import pandas as pd

from deepmodules.workflow import run


def main(smk):
    with open(smk.output[0], "w") as gmt:
        for path in smk.input:
            path = Path(path)
            disease, layer, model = path.stem, path.parent.name, path.parent.parent.name
            genes = pd.read_csv(path, sep="\t", keep_default_na=False).nsmallest(
                smk.params.size, "rank"
            )
            name = f"{disease}__{model}__{layer}"
            gmt.write("\t".join([name, f"top {len(genes)} genes", *genes["gene"]]) + "\n")


run(main, snakemake)  # noqa: F821
