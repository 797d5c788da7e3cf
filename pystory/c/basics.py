"""C backend bindings for chapter 00 (csrc/basics.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import check_array, check_scalar

__all__ = ["axpy", "rowsum"]


def axpy(a, x, y):
    # x, y: (N,) float32 -> out: (N,)
    a = check_scalar("axpy", "a", a)
    check_array("axpy", "x", x, np.float32, ndim=1)
    check_array("axpy", "y", y, np.float32, shape=x.shape)
    out = np.empty_like(y)
    ext().lib.axpy(ptr(out), a, ptr(x), ptr(y), x.size)
    return out


def rowsum(x):
    # x: (R, C) float32 -> out: (R,)
    check_array("rowsum", "x", x, np.float32, ndim=2)
    R, C = x.shape
    out = np.empty(R, dtype=np.float32)
    ext().lib.rowsum(ptr(out), ptr(x), R, C)
    return out
