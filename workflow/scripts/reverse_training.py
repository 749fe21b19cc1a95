"""Rules reverse_training and naive_baseline: gene scores per disease, mean and sd over seeds."""

import logging
from pathlib import Path

import keras
import numpy as np

from deepmodules import compendium
from deepmodules.autoencoder import dense_layers, encode, layers_after
from deepmodules.reverse_training import fit_reverse, gene_scores, summarize_seeds
from deepmodules.workflow import run


def main(smk):
    data = compendium.load(Path(smk.input.expression).parent)
    labels = data.samples["disease"]
    cfg = smk.params.reverse
    if "model" in smk.input.keys():
        layers = dense_layers(keras.saving.load_model(smk.input.model))
        targets = encode(layers, data.values, smk.wildcards.layer)
        following = layers_after(layers, smk.wildcards.layer)
        hidden = targets.shape[1]
    else:
        targets = np.asarray(data.values)
        following = []
        hidden = int(smk.wildcards.width)
    scores = []
    for seed in cfg["seeds"]:
        net = fit_reverse(
            labels, targets, hidden, cfg["epochs"], cfg["batch_size"], cfg["learning_rate"], seed
        )
        scores.append(gene_scores(net, following))
        logging.info("seed %d: reverse network trained on %d samples", seed, len(labels))
    for disease_id, path in zip(smk.params.diseases, smk.output, strict=True):
        label = smk.params.diseases[disease_id]["label"]
        table = summarize_seeds(scores, data.genes, net.phenotypes.index(label))
        table.to_csv(path, sep="\t", index=False, float_format="%.6g")


run(main, snakemake)  # noqa: F821
