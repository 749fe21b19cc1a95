"""Stage 2, the autoencoders: architecture ids, networks, training, reconstruction and node activity."""
