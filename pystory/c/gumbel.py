"""C backend bindings for chapter 05's Gumbel-softmax (csrc/gumbel.c); checks: pystory/gumbel.py."""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["gumbel_softmax_forward", "gumbel_softmax_backward"]


def gumbel_softmax_forward(logits, tau, seed, offset, mode, N, V):
    # logits: (N, V) -> out: (N, V), cache = (y, tau)
    y = np.empty((N, V), np.float32)
    out = np.empty((N, V), np.float32) if mode == "hard" else None
    ext().lib.gumbel_softmax_forward(ptr(out), ptr(y), ptr(logits), tau, seed, offset, N, V)
    return (y if out is None else out), (y, tau)


def gumbel_softmax_backward(dy, cache, N, V):
    # dy: (N, V) -> dlogits: (N, V)
    y, tau = cache
    dlogits = np.empty((N, V), np.float32)
    ext().lib.gumbel_softmax_backward(ptr(dlogits), ptr(dy), ptr(y), tau, N, V)
    return dlogits
