"""Stage 5, validation of disease modules: GWAS gene mapping, enrichment statistics and, on the simulated
compendium, recovery of the planted genes."""
