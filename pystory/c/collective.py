"""C backend bindings for chapter 08 (csrc/collective.c); checks: pystory/collective.py."""
import numpy as np

from pystory.c import ext, ptr


def sum_ranks(x, scale, N, S):
    # x: (N, S) float32 -> out: (S,)
    out = np.empty(S, dtype=np.float32)
    ext().lib.sum_ranks(ptr(out), ptr(x), scale, N, S)
    return out


def accumulate(acc, g):
    # acc, g: (P,) float32; acc += g in place -> None
    ext().lib.accumulate(ptr(acc), ptr(g), acc.size)
