rule normalize:
    """Read, check, min-max normalize and split (fixed seed) one compendium.

    An ARCHS4 file is streamed in column blocks (deepmodules.data.archs4): its memory does not grow with
    the file, and its output folder holds a float32 samples × genes scratch file until the job ends.
    """
    input:
        matrix=lambda wc: config["datasets"][wc.dataset]["matrix"],
        annotation=lambda wc: config["datasets"][wc.dataset]["annotation"] or [],
        gene_ids=lambda wc: config["datasets"][wc.dataset]
        .get("gene_ids", {})
        .get("mapping", []),
        checked=layout.check_file("{dataset}"),
    output:
        **{kind: normalized(kind) for kind in layout.NORMALIZED},
    log:
        "logs/{dataset}/normalize.log",
    benchmark:
        "benchmarks/out/{dataset}/normalize.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: (
            ARCHS4_MEM_MB
            if config["datasets"][wc.dataset]["format"] == "archs4"
            else max(2000, int(6 * input_mb(input)))
        ),
        runtime=120,
    params:
        # the series of its archs4 external datasets are kept out of the compendium
        spec=lambda wc: compendium_spec(config, wc.dataset),
        diseases=lambda wc: diseases_in(wc.dataset),
        seed=config["seed"],
    script:
        "../scripts/normalize.py"


rule check_compendium:
    """The genes a normalized compendium kept, against STRING: enough for PPI colocalization.

    The train jobs take its report as an ancient() input: a failed check stops the run before any
    training, and a later edit of the network or its setting reruns this check, not the training.
    """
    input:
        genes=normalized("genes"),
        info=config["network"]["info"],
    output:
        layout.check_file("{dataset}_compendium"),
    log:
        "logs/checks/{dataset}_compendium.log",
    benchmark:
        "benchmarks/out/checks/{dataset}_compendium.tsv"
    priority: 100
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        spec=lambda wc: {"format": config["datasets"][wc.dataset]["format"]},
        min_shared_genes=config["network"]["min_shared_genes"],
    script:
        "../scripts/check_compendium.py"
