"""Chapter 00: the two smallest ops, as NumPy references.

axpy   out = a*x + y        (BLAS's name: "a times x plus y")
rowsum out[r] = sum_c x[r, c]

They are too small to need a backward pass; they exist to show the
three-implementation workflow (NumPy, C in csrc/basics.c, CUDA in
cuda/basics.cu) on something a learner can check by hand.
"""
import numpy as np

__all__ = ["axpy", "rowsum"]


def axpy(a, x, y):
    # x, y: (N,) -> out: (N,)
    return a * x + y


def rowsum(x):
    # x: (R, C) -> out: (R,)
    return np.sum(x, axis=1)
