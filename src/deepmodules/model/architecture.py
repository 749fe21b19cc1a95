"""Model ids: the architecture of an autoencoder named in one word.

``deep512`` is genes -> 512 -> 512 -> 512 -> genes, ``shallow1024`` is genes -> 1024 -> genes, and a suffix
names a variant of a deep model: ``-denoising``, ``-sparse`` or ``-funnel`` (hidden widths 2H, H, 2H: the
encoder narrows to the code of width H and the decoder widens back). Hidden layers are named ``h1``,
``h2``, ``h3`` from the input side. This module imports no deep-learning backend, so the workflow can
plan jobs without loading one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deepmodules.errors import InputError

# The one definition of a model id: the workflow's wildcard constraint and parse_model_id use it.
ARCHITECTURE_PATTERN = r"(deep|shallow)(\d+)(?:-(denoising|sparse|funnel))?"
MODEL_PATTERN = ARCHITECTURE_PATTERN + r"(?:\.r([2-9]|[1-9]\d+))?"
MODEL_ID = re.compile(f"^{MODEL_PATTERN}$")
# Seeds of replicates k > 1 step by a prime from the configured seed, so that no two replicates of
# seeds 1 ... 7918 share one.
REPLICATE_SEED_STEP = 7919


@dataclass(frozen=True)
class ModelSpec:
    """An autoencoder architecture parsed from a model id."""

    model_id: str
    depth: str
    width: int
    variant: str
    replicate: int = 1

    @property
    def architecture(self) -> str:
        """The id without the replicate suffix: ``deep512`` for ``deep512.r2``."""
        return self.model_id.split(".")[0]

    @property
    def layers(self) -> list[str]:
        return ["h1", "h2", "h3"] if self.depth == "deep" else ["h1"]

    @property
    def widths(self) -> list[int]:
        if self.depth == "shallow":
            return [self.width]
        if self.variant == "funnel":
            return [2 * self.width, self.width, 2 * self.width]
        return [self.width] * 3


def parse_model_id(model_id: str) -> ModelSpec:
    """Parse ``deep512``, ``shallow1024``, ``deep512-denoising`` … into a :class:`ModelSpec`."""
    match = MODEL_ID.match(model_id)
    if not match or int(match.group(2)) < 1:
        raise InputError(
            f"model id {model_id!r}",
            "is not a known architecture",
            "use deep<width> or shallow<width> with a positive width, optionally followed by "
            "-denoising, -sparse or -funnel (deep models only) and a replicate .r2, .r3 …, "
            "e.g. deep512, deep512-sparse or deep512.r2",
        )
    depth, width, variant = match.group(1), int(match.group(2)), match.group(3) or "plain"
    replicate = int(match.group(4) or 1)
    if depth == "shallow" and variant != "plain":
        raise InputError(
            f"model id {model_id!r}", "variants are defined for deep models only", "drop the suffix"
        )
    return ModelSpec(model_id, depth, width, variant, replicate)


def replicate_ids(architecture: str, replicates: int) -> list[str]:
    """The model ids of ``replicates`` replicates of an architecture: ``deep512``, ``deep512.r2`` …"""
    return [architecture] + [f"{architecture}.r{k}" for k in range(2, replicates + 1)]


def replicate_seed(seed: int, replicate: int) -> int:
    """The training seed of replicate k: the configured ``seed`` for k = 1, seed + 7919 (k - 1) after."""
    return seed + REPLICATE_SEED_STEP * (replicate - 1)
