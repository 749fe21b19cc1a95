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
    model: str,
    layers: list[DenseLayer],
    layer_names: list[str],
    naive_hidden: int,
    settings: dict,
    reference: compendium.Compendium,
) -> dict[tuple[str, str, str], pd.DataFrame]:
    """The module of the cases against each reference group, (model, layer, group) -> module.

    The samples ``x`` (:func:`deepmodules.data.external.to_compendium`) of the ``sheet``'s groups are
    reverse-trained at every layer of ``layer_names`` of the autoencoder ``model`` with reverse
    training's ``settings``, and on their expression directly for the naive baseline
    (``naive<naive_hidden>``, layer ``h1``, fitted as ``settings["naive_fit"]`` says), the one the
    external verdict compares the layers with; the cases' module against a group is
    :func:`~deepmodules.modules.reverse_training.contrast_module`, in the compendium's units.
    """
    fits = [(model, layer, {"layers": layers, "layer": layer}) for layer in layer_names]
    fits.append((f"naive{naive_hidden}", "h1", {"hidden": naive_hidden}))
    modules = {}
    for method, layer, where in fits:
        z, phenotypes = reverse_train(x, sheet["group"], settings, **where)
        for group in spec["references"]:
            modules[(method, layer, group)] = contrast_module(
                z,
                phenotypes,
                spec["case"],
                group,
                settings["score"],
                reference.genes,
                reference.gene_range.span,
            )
    return modules
