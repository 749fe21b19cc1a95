"""Reverse training and disease gene scores (paper, Methods: "Predicting disease genes").

1. Encode every annotated sample to hidden layer p of the trained autoencoder: s_j = h_p(x_j) (H values).
2. Train a one-hidden-layer network in the reverse direction, from the sample's phenotype, one-hot coded
   as c_ij = delta_{i, p(j)} (P phenotypes), to s_j: H sigmoid hidden nodes, H linear outputs.
3. Stack it on the part of the autoencoder after layer p. The targets are standardized per node while
   training (mean mu, sd sigma), and the output layer is rescaled where the two networks meet so that it
   produces the autoencoder's own scale: W' = W diag(sigma), b' = b * sigma + mu.
4. Score the genes for phenotype p from the input r_p = e_p:

       x_1 = r_p,   x_k = f_k(W_k x_{k-1} + b_k) for 1 < k <= L - 1,   z_p = W_L x_{L-1},

   the pre-activation of the output layer without its bias. The paper's score is s_p = |z_p|
   (``score: paper``). Without the bias, z_p is dominated by gene-specific offsets that are the same for
   every phenotype, so ``score: contrast`` ranks genes by the change against the matched controls,
   s_p = |z_p - z_ref| = |W_L (x_{L-1}(r_p) - x_{L-1}(r_ref))|, where ref is the control phenotype of
   the cell type the disease samples come from. Control samples are therefore one-hot coded per cell
   type ("normal (T cell)", ...), disease samples by their disease. Where that cell type has no
   controls, z_ref is the mean of z over all control phenotypes of the compendium (reference
   ``all controls``); a compendium without controls cannot give a contrast, and its diseases are
   skipped (:func:`disease_reference`).
   Both rank genes on the min-max scaled axis, where a gene's contrast is a fraction of its range, so a
   noisy gene that barely changes ranks with one that changes many-fold. The default
   (``score: expression``) decodes both phenotypes, x_L = f_L(W_L x_{L-1} + b_L), and ranks genes by the
   contrast in the compendium's own (log2) units, s_p = |x_L(r_p) - x_L(r_ref)| * (max_j - min_j),
   undoing the min-max scaling (see docs/method.md for the evidence on real data).

Steps 2-4 are repeated over several seeds (three in the paper) and summarized by the mean and sd.
The naive baseline trains the same reverse network directly on gene expression (``following`` empty), and
z_p is then its rescaled output layer applied to the hidden activation, without bias.

The fits of step 2 (:mod:`deepmodules.modules.reverse_network`) run in numpy, like everything here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmodules.model.network import DenseLayer, encode, layers_after, propagate
from deepmodules.modules.reverse_network import ReverseNetwork, fit_reverse, phenotype_means

log = logging.getLogger(__name__)


def phenotype_labels(samples: pd.DataFrame, control_label: str) -> pd.Series:
    """One-hot phenotypes: the disease of disease samples, "<control> (<cell type>)" for controls."""
    control = samples["disease"] == control_label
    return pd.Series(
        np.where(control, control_label + " (" + samples["cell_type"] + ")", samples["disease"]),
        index=samples.index,
    )


def study_phenotype_labels(samples: pd.DataFrame, control_label: str) -> pd.Series:
    """Phenotypes of the controls analysis: cases and controls of every disease study apart.

    Samples of studies that hold a disease are coded "<disease> [<study>]" and "<control> [<study>]";
    controls of healthy studies keep the per-cell-type coding of :func:`phenotype_labels`, so they form
    the reference that both are compared with.
    """
    labels = phenotype_labels(samples, control_label)
    disease_studies = samples.loc[samples["disease"] != control_label, "study"].unique()
    in_disease_study = samples["study"].isin(disease_studies)
    labels[in_disease_study] = samples["disease"] + " [" + samples["study"] + "]"
    return labels


def reference_phenotype(
    samples: pd.DataFrame, labels: pd.Series, disease: str, control_label: str
) -> str | None:
    """The control phenotype among ``labels`` matched to ``disease``: controls of its main cell type."""
    cell_types = samples.loc[samples["disease"] == disease, "cell_type"]
    if cell_types.empty:
        return None
    reference = f"{control_label} ({cell_types.mode().iloc[0]})"
    return reference if (labels == reference).any() else None


@dataclass
class Reference:
    """What a disease's contrast is taken against: ``name`` and its control ``phenotypes``.

    ``skipped`` holds the reason when the disease cannot be scored (``phenotypes`` is then empty).
    """

    name: str
    phenotypes: list[str]
    skipped: str | None = None


def disease_reference(
    samples: pd.DataFrame, labels: pd.Series, disease: str, control_label: str, score: str
) -> Reference:
    """The reference of ``disease``: its matched controls, else all controls, else a skip.

    The matched controls are :func:`reference_phenotype`. Without them (the disease's cell type has
    no control samples), ``all controls`` are the control phenotypes among ``labels``, whose mean z
    :func:`gene_scores` subtracts. The ``paper`` score |z_p| needs no reference (``none``); the
    ``contrast`` and ``expression`` scores of a compendium without control samples is skipped.
    """
    if score == "paper":
        return Reference("none", [])
    matched = reference_phenotype(samples, labels, disease, control_label)
    if matched is not None:
        return Reference(matched, [matched])
    controls = sorted(labels[samples["disease"] == control_label].unique())
    if not controls:
        reason = f"no control samples ({control_label!r}) in the compendium to contrast with"
        return Reference("", [], reason)
    return Reference("all controls", controls)


def output_preactivation(
    net: ReverseNetwork, following: list[DenseLayer], decoded: bool = False
) -> np.ndarray:
    """z_p = W_L x_{L-1} for every phenotype p (rows) and gene (columns) of the stacked network.

    ``following`` are the autoencoder's layers after the reverse-trained layer, output layer last; empty
    for the naive baseline, whose own output layer is then the gene layer. With ``decoded``, the
    network's output x_L = f_L(z_p + b_L) instead, on the min-max scaled axis of the genes.
    """
    stacked = [net.hidden, net.output, *following]
    x = propagate(stacked[:-1], np.eye(len(net.phenotypes)))
    return stacked[-1](x) if decoded else x @ stacked[-1].kernel


def preactivations_over_seeds(
    labels: pd.Series,
    targets: np.ndarray,
    following: list[DenseLayer],
    hidden: int,
    settings: dict,
) -> tuple[list[np.ndarray], list[str]]:
    """Steps 2-4 once per seed in ``settings["seeds"]``: z for every phenotype, and the phenotypes."""
    z = []
    for seed in settings["seeds"]:
        net = fit_reverse(
            labels,
            targets,
            hidden,
            settings["epochs"],
            settings["batch_size"],
            settings["learning_rate"],
            seed,
            settings["tolerance"],
            settings["max_steps"],
        )
        if not net.converged:
            log.warning(
                "a reverse network (seed %d) stopped after %d steps at %.2g of the no-effect loss, "
                "above reverse_training.tolerance %g (its loss stalled or max_steps came first): a "
                "lower reverse_training.learning_rate fits small phenotype effects closer",
                seed,
                net.steps,
                net.relative_loss,
                settings["tolerance"],
            )
        z.append(output_preactivation(net, following, decoded=settings["score"] == "expression"))
    return z, net.phenotypes


def gene_scores(
    z: np.ndarray,
    phenotypes: list[str],
    phenotype: str,
    reference: str | Sequence[str],
    score: str,
    gene_span: np.ndarray | None = None,
) -> np.ndarray:
    """Score of every gene for ``phenotype``: |z_p| (``paper``), |z_p - z_ref| (``contrast``), or
    |x_p - x_ref| * (max_j - min_j) (``expression``, ``z`` then holding the decoded outputs x and
    ``gene_span`` the genes' ranges max_j - min_j in the compendium).

    ``reference`` is one phenotype, or several whose mean z_ref = (1/|R|) sum_{r in R} z_r is taken
    (all controls, :func:`disease_reference`).
    """
    z_p = z[phenotypes.index(phenotype)]
    if score == "paper":
        return np.abs(z_p)
    references = [reference] if isinstance(reference, str) else list(reference)
    z_ref = z[[phenotypes.index(r) for r in references]].mean(axis=0)
    if score == "expression":
        if gene_span is None:
            raise ValueError("score 'expression' needs the genes' ranges (gene_span)")
        return np.abs(z_p - z_ref) * gene_span
    return np.abs(z_p - z_ref)


def summarize_seeds(scores: list[np.ndarray], genes: list[str]) -> pd.DataFrame:
    """Mean and sd over seeds of one phenotype's gene scores, ranked (1 = highest mean score)."""
    stacked = np.stack(scores)
    table = pd.DataFrame(
        {
            "gene": genes,
            "score": stacked.mean(axis=0),
            "score_sd": stacked.std(axis=0, ddof=1) if len(scores) > 1 else 0.0,
        }
    )
    table = table.sort_values(["score", "gene"], ascending=[False, True], kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    return table.reset_index(drop=True)


def contrast_module(
    z: list[np.ndarray],
    phenotypes: list[str],
    phenotype: str,
    reference: str | Sequence[str],
    score: str,
    genes: list[str],
    gene_span: np.ndarray | None,
) -> pd.DataFrame:
    """The module of ``phenotype`` against ``reference``: each seed's :func:`gene_scores` from its z,
    summarized over the seeds (:func:`summarize_seeds`). What reverse training, the controls analysis
    and external datasets all rank genes by."""
    scores = [gene_scores(zs, phenotypes, phenotype, reference, score, gene_span) for zs in z]
    return summarize_seeds(scores, genes)


def naive_means(labels: pd.Series, values: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """The naive baseline fitted to convergence (``naive_fit: means``): each phenotype's mean genes.

    The naive network's loss, sum_p (n_p / N) ||f(e_p) - xbar_p||^2 plus a constant
    (:func:`~deepmodules.modules.reverse_network.fit_reverse`), is smallest where its outputs are the
    phenotype means, f(e_p) = xbar_p; with H + 1 >= P hidden nodes (and a bias) its linear output layer
    reaches any P targets, so that is where every seed's fit converges. The decoded contrast
    x_L(r_p) - x_L(r_ref) is then xbar_p - xbar_ref: the ``expression`` score is the difference of the
    phenotypes' mean log2 expression, and ``contrast`` the same on the min-max scaled axis (the output
    bias, which the fit does not determine, cancels; ``paper``'s |z_p| would depend on it and needs
    ``naive_fit: network``). Returned as the outputs of a single fit: there is nothing a seed changes.
    """
    mu, sigma, _, zbar, phenotypes = phenotype_means(labels, values)
    return [zbar * sigma + mu], phenotypes


def reverse_train(
    values: np.ndarray,
    labels: pd.Series,
    settings: dict,
    layers: list[DenseLayer] | None = None,
    layer: str | None = None,
    hidden: int | None = None,
    rows: np.ndarray | None = None,
) -> tuple[list[np.ndarray], list[str]]:
    """Steps 1-4 for one layer and every seed: z for every phenotype of ``labels``, and the phenotypes.

    With the autoencoder's ``layers``, the samples ``values`` are encoded to ``layer`` and the reverse
    network has as many hidden nodes as the layer; without (the naive baseline), the targets are the
    expression values themselves and the network has ``hidden`` hidden nodes, or, with
    ``settings["naive_fit"]`` ``means``, is replaced by its converged outputs (:func:`naive_means`). ``rows`` (positions)
    restricts the fit to those samples (the held-out splits of :mod:`deepmodules.validate.replication`).
    """
    if rows is not None:
        values, labels = values[rows], labels.iloc[rows]
    log.info("%d samples in %d phenotypes", len(labels), labels.nunique())
    if layers is None:
        if settings["naive_fit"] == "means":
            return naive_means(labels, values)
        targets, following = values, []
    else:
        targets, following = encode(layers, values, layer), layers_after(layers, layer)
        hidden = targets.shape[1]
    return preactivations_over_seeds(labels, targets, following, hidden, settings)


def skipped_module(reason: str) -> pd.DataFrame:
    """The module table of a disease that could not be scored: one row without a gene, its reason."""
    return pd.DataFrame(
        {
            "gene": [""],
            "score": [np.nan],
            "score_sd": [np.nan],
            "rank": [np.nan],
            "reference": [""],
            "status": [f"skipped: {reason}"],
        }
    )


def module_top_genes(module: pd.DataFrame, size: int) -> tuple[list[str], str]:
    """The ``size`` top-ranked genes of a module table and its status (``scored`` or a skip)."""
    status = str(module["status"].iloc[0])
    if status != "scored":
        return [], status
    return module.nsmallest(size, "rank")["gene"].tolist(), status


def disease_scores(
    values: np.ndarray,
    samples: pd.DataFrame,
    genes: list[str],
    diseases: dict[str, str],
    control_label: str,
    settings: dict,
    layers: list[DenseLayer] | None = None,
    layer: str | None = None,
    hidden: int | None = None,
    gene_span: np.ndarray | None = None,
    skipped: dict[str, str] | None = None,
    rows: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Steps 1-4 for one layer: the seed-summarized gene scores of every disease (id -> label).

    Phenotypes are coded by :func:`phenotype_labels`; ``layers``, ``layer`` and ``hidden`` are those of
    :func:`reverse_train` (and ``rows``, the samples it fits on), ``gene_span`` that of :func:`gene_scores`. Each module table records its ``reference`` (:func:`disease_reference`) and
    a ``status``: ``scored``, or ``skipped: <reason>`` (:func:`skipped_module`) for the diseases of
    ``skipped`` (id -> reason, :func:`deepmodules.data.annotation.check_diseases`) and those without a
    reference.
    """
    labels = phenotype_labels(samples, control_label)
    tables = {d: skipped_module(reason) for d, reason in (skipped or {}).items() if d in diseases}
    references = {}
    for disease_id, label in diseases.items():
        if disease_id in tables:
            continue
        reference = disease_reference(samples, labels, label, control_label, settings["score"])
        if reference.skipped:
            tables[disease_id] = skipped_module(reference.skipped)
        else:
            references[disease_id] = reference
    for disease_id, table in tables.items():
        log.warning("%s: %s", disease_id, table["status"].iloc[0])
    if references:
        z, phenotypes = reverse_train(values, labels, settings, layers, layer, hidden, rows)
    for disease_id, reference in references.items():
        log.info("%s: scored against %s %s", disease_id, reference.name, reference.phenotypes)
        module = contrast_module(
            z,
            phenotypes,
            diseases[disease_id],
            reference.phenotypes,
            settings["score"],
            genes,
            gene_span,
        )
        tables[disease_id] = module.assign(reference=reference.name, status="scored")
    return {disease_id: tables[disease_id] for disease_id in diseases}
