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
MODEL_PATTERN = r"(deep|shallow)(\d+)(?:-(denoising|sparse|funnel))?"
MODEL_ID = re.compile(f"^{MODEL_PATTERN}$")


@dataclass(frozen=True)
class ModelSpec:
    """An autoencoder architecture parsed from a model id."""

    model_id: str
    depth: str
    width: int
    variant: str

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
            "-denoising, -sparse or -funnel (deep models only), e.g. deep512 or deep512-sparse",
        )
    depth, width, variant = match.group(1), int(match.group(2)), match.group(3) or "plain"
    if depth == "shallow" and variant != "plain":
        raise InputError(
            f"model id {model_id!r}", "variants are defined for deep models only", "drop the suffix"
        )
    return ModelSpec(model_id, depth, width, variant)
