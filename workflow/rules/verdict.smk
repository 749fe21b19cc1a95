rule replication:
    """Held-out replication of one method's modules: over repeated half splits of every disease's cases
    and matched controls, the module derived without the held-out half against the held-out contrast.
    """
    input:
        expression=rules.normalize.output.expression,
        samples=rules.normalize.output.samples,
        genes=rules.normalize.output.genes,
        networks=replication_networks,
    output:
        layout.replication_file("{dataset}", "{model}", "{layer}"),
    log:
        "logs/{dataset}/replication/{model}/{layer}.log",
    benchmark:
        "benchmarks/out/{dataset}/replication/{model}/{layer}.tsv"
    wildcard_constraints:
        model=METHOD_PATTERN,
    conda:
        "../../envs/analysis.yaml"
    threads: model_threads
    resources:
        mem_mb=lambda wc, input: max(3000, int(3 * input_mb(input))),
        runtime=240,
    params:
        diseases=config["diseases"],
        analysed=lambda wc: list(diseases_in(wc.dataset)),
        settings=lambda wc: subset(
            "reverse_training",
            NAIVE_KEYS if wc.model.startswith("naive") else REVERSE_TRAINING_KEYS,
        ),
        control_label=lambda wc: config["datasets"][wc.dataset]["control_label"],
        min_cases=lambda wc: config["datasets"][wc.dataset]["min_cases"],
        size=config["modules"]["size"],
        verdict=subset("verdict", REPLICATION_KEYS),
        seed=config["seed"],
    script:
        "../scripts/replication.py"


rule verdict:
    """Which module to believe, per disease: stability, held-out replication with its interval, GWAS
    and encodability of every module; the recommended one; deep_below_baseline where the best deep
    layer replicates worse than the naive baseline."""
    input:
        unpack(module_inputs),
        unpack(replication_inputs),
        gwas=rules.gwas_enrichment.output.table,
        encodability=rules.encodability.output.table,
    output:
        report(
            layout.table("{dataset}", "verdict"),
            caption="../report/verdict.rst",
            category="Tables",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/verdict.log",
    benchmark:
        "benchmarks/out/{dataset}/verdict.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        naive=next((m for m, _ in module_models() if m.startswith("naive")), None),
        confidence=config["verdict"]["confidence"],
        margin=config["verdict"]["margin"],
        min_heldout=config["verdict"]["min_heldout"],
    script:
        "../scripts/verdict.py"
