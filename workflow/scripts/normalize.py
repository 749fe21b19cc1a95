"""Rule normalize: check, normalize and split one compendium; report its genes in STRING and refGene."""

from deepmodules import layout
from deepmodules.data.compendium import prepare, report_shared_genes
from deepmodules.interpret import network
from deepmodules.validate import gwas_inputs
from deepmodules.workflow import run


def main(smk):
    references = {
        f"the network ({smk.input.network_info})": set(
            network.read_string_names(smk.input.network_info)
        ),
        f"the gene coordinates ({smk.input.refgene})": set(
            gwas_inputs.read_refgene(smk.input.refgene, noncoding=smk.params.noncoding_genes)[
                "gene"
            ]
        ),
    }
    data = prepare(
        smk.params.spec,
        smk.params.diseases,
        smk.params.seed,
        layout.normalized_folder(smk.output.expression),
    )
    report_shared_genes(data.genes, references, smk.input.matrix)


run(main, snakemake)  # noqa: F821
