"""Shared style of the figures: layer colours, and writing each figure as PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

LAYER_COLORS = {"h1": "#2a9d8f", "h2": "#457b9d", "h3": "#7b2cbf", "genes": "#6c757d"}


def save(fig: plt.Figure, pdf: str | Path, png: str | Path) -> None:
    """Write a figure as PDF and PNG, then close it. The saved area is grown to hold every artist
    (long rotated tick labels, a legend beside the axes), which the figure size alone may clip."""
    fig.tight_layout()
    fig.savefig(pdf, bbox_inches="tight")
    fig.savefig(png, dpi=150, bbox_inches="tight")
    plt.close(fig)
