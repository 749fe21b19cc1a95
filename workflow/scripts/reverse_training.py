"""Rules reverse_training and naive_baseline: gene scores per disease, mean and sd over seeds."""

import logging
from pathlib import Path

import keras
import numpy as np

from deepmodules import compendium
from deepmodules.autoencoder import dense_layers, encode, layers_after
from deepmodules.reverse_training import (
    gene_scores,
    phenotype_labels,
    preactivations_over_seeds,
    reference_phenotype,
    summarize_seeds,
)
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(Path(smk.input.expression).parent)
    settings, control = smk.params.settings, smk.params.control_label
    labels = phenotype_labels(data.samples, control)
    if "model" in smk.input.keys():
        layers = dense_layers(keras.saving.load_model(smk.input.model))
        targets = encode(layers, data.values, smk.wildcards.layer)
        following = layers_after(layers, smk.wildcards.layer)
        hidden = targets.shape[1]
    else:
        targets = np.asarray(data.values)
        following = []
        hidden = int(smk.wildcards.width)
    logging.info("%d samples in %d phenotypes", len(labels), labels.nunique())
    z, phenotypes = preactivations_over_seeds(labels, targets, following, hidden, settings)
    for disease_id, path in zip(smk.params.diseases, smk.output, strict=True):
        label = smk.params.diseases[disease_id]["label"]
        reference = reference_phenotype(data.samples, labels, label, control)
        logging.info("%s: scored against %s", disease_id, reference or "the mean phenotype")
        scores = [gene_scores(zs, phenotypes, label, reference, settings["score"]) for zs in z]
        summarize_seeds(scores, data.genes).to_csv(path, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
