# Disease modules from the compressed space of a deep autoencoder (Dwivedi et al., Nat Commun 2020).
# `snakemake --cores N` runs the embedded demo; `--configfile config/paper.yaml` runs the paper.
from snakemake.utils import min_version

min_version("9.0")


# The demo configuration, unless --configfile names another (which then replaces it, not merges).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/check_inputs.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/gwas.smk"
include: "workflow/rules/external.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/bundle.smk"


# The compendia's stages; an analysis against a trained-model bundle (config `bundle`) has none.
if not BUNDLE:

    include: "workflow/rules/simulate.smk"
    include: "workflow/rules/normalize.smk"
    include: "workflow/rules/train.smk"
    include: "workflow/rules/reconstruction.smk"
    include: "workflow/rules/lightup.smk"
    include: "workflow/rules/ppi.smk"
    include: "workflow/rules/clustering.smk"
    include: "workflow/rules/genesets.smk"
    include: "workflow/rules/modules.smk"
    include: "workflow/rules/encodability.smk"
    include: "workflow/rules/verdict.smk"
    include: "workflow/rules/controls.smk"
    include: "workflow/rules/truth.smk"


rule all:
    default_target: True
    input:
        all_targets(),
