"""Analyses that test the paper's figures against measurements (Fig. 1: weights vs activations; Fig. 3: SRC at work)."""
