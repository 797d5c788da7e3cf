"""Chapter 00: the two smallest ops, as NumPy references.

axpy   out = a*x + y        (BLAS's name: "a times x plus y")
rowsum out[r] = sum_c x[r, c]

They are too small to need a backward pass; they exist to show the
three-implementation workflow (NumPy, C in csrc/basics.c, CUDA in
cuda/basics.cu) on something a learner can check by hand.

Above each op, its declaration: what its arguments must be, for every
backend (pystory/declare.py). The checker enforces it before any C or CUDA
runs; the bindings in pystory/c/basics.py and pystory/gpu/basics.py only
allocate and call. rowsum's `version` picks a CUDA kernel (naive, warp,
block); NumPy and C have one implementation and accept any of the names.
"""
import numpy as np

from pystory.declare import array, choice, declare, float32, number

__all__ = ["axpy", "rowsum"]


@declare(a=number(), x=array(float32, "(N,)"), y=array(float32, "(N,)"),
         returns="out (N,)")
def axpy(a, x, y):
    # x, y: (N,) -> out: (N,)
    return a * x + y


@declare(x=array(float32, "(R, C)"), version=choice("naive", "warp", "block", default="block"),
         returns="out (R,)")
def rowsum(x):
    # x: (R, C) -> out: (R,)
    return np.sum(x, axis=1)
