"""Stage 3, what the hidden nodes encode: light-up, PPI colocalization, gene sets, clustering and
encodability of each disease."""
