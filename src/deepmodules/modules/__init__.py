"""Stage 4, disease modules: reverse training, your own disease data and the study-controls analysis."""
