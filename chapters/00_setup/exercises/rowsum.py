"""Exercise 00.1 — rowsum in NumPy.

Return out[r] = sum over c of x[r, c] for x of shape (R, C): a (R,) array
of x's dtype. See chapters/00_setup/README.md, section "The NumPy reference".
Check your work: make grade CH=00
"""
import numpy as np


def rowsum(x):
    # x: (R, C) -> out: (R,)
    raise NotImplementedError("exercise 00.1: write rowsum")
