"""Disease modules from the compressed transcriptional space of a deep autoencoder.

A reimplementation of Dwivedi et al., Nature Communications 11, 856 (2020): train autoencoders on a
transcriptomic compendium, interpret hidden nodes by light-up, derive disease modules by reverse
training, and validate them against GWAS genes.
"""

__version__ = "0.1.0"
