"""Your own disease data: an external expression dataset analysed with a trained compendium autoencoder.

The paper's multiple sclerosis analysis: a dataset of cases, controls and possibly another disease group,
read and put on the compendium's scale (:func:`deepmodules.data.external.to_compendium`), is
reverse-trained on its own groups through the trained autoencoder; the module of the cases is scored
against each reference group (healthy controls, another disease) and tested against the disease's GWAS
genes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmodules.data import compendium
from deepmodules.model.network import DenseLayer
from deepmodules.modules.reverse_training import contrast_module, reverse_train


def external_modules(
    sheet: pd.DataFrame,
    x: np.ndarray,
    spec: dict,
    layers: list[DenseLayer],
    layer_names: list[str],
    settings: dict,
    reference: compendium.Compendium,
) -> dict[tuple[str, str], pd.DataFrame]:
    """The module of the cases against each reference group at each layer, (layer, group) -> module.

    The samples ``x`` (:func:`deepmodules.data.external.to_compendium`) of the ``sheet``'s groups are reverse-trained at every
    layer of ``layer_names`` with reverse training's ``settings``, and the cases' module against a
    group is :func:`~deepmodules.modules.reverse_training.contrast_module`, in the compendium's units.
    """
    modules = {}
    for layer in layer_names:
        z, phenotypes = reverse_train(x, sheet["group"], settings, layers, layer)
        for group in spec["references"]:
            modules[(layer, group)] = contrast_module(
                z,
                phenotypes,
                spec["case"],
                group,
                settings["score"],
                reference.genes,
                reference.gene_range.span,
            )
    return modules
