"""C backend bindings for chapter 00 (csrc/basics.c); the checks are in the declarations (pystory/basics.py)."""
import numpy as np

from pystory.c import ext, ptr


def axpy(a, x, y):
    # x, y: (N,) float32 -> out: (N,)
    out = np.empty_like(y)
    ext().lib.axpy(ptr(out), a, ptr(x), ptr(y), x.size)
    return out


def rowsum(x, R, C):
    # x: (R, C) float32 -> out: (R,); one C version, whichever `version` is asked for
    out = np.empty(R, dtype=np.float32)
    ext().lib.rowsum(ptr(out), ptr(x), R, C)
    return out
