"""Rule unpack_bundle: the bundle analysed against, verified, and the files its analyses read."""

from deepmodules import bundle, layout
from deepmodules.data.checks import write_report
from deepmodules.workflow import run


def main(smk):
    outputs = {kind: getattr(smk.output, kind) for kind in layout.BUNDLE_REFERENCE}
    write_report(bundle.unpack(smk.input[0], outputs), smk.output.report)


run(main, snakemake)  # noqa: F821
