"""Stage 1, the compendium: read each source's files, map gene ids, min-max normalize and split."""
