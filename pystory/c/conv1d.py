"""C backend bindings for chapter 05's conv1d and max-over-time pooling (csrc/conv1d.c);
the checks are in the declarations (pystory/conv1d.py)."""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["conv1d_forward", "conv1d_backward", "maxpool_time_forward", "maxpool_time_backward"]


def conv1d_forward(x, w, b, version, B, T, Cin, Cout, K):
    # x: (B, T, Cin), w: (Cout, Cin, K), b: (Cout,) -> out: (B, T-K+1, Cout), cache = (x, w)
    # version "naive": the five loops (csrc/conv1d_naive.c); "tiled": one blocked matmul (csrc/conv1d.c)
    out = np.empty((B, T - K + 1, Cout), np.float32)
    fn = ext().lib.conv1d_forward_naive if version == "naive" else ext().lib.conv1d_forward
    fn(ptr(out), ptr(x), ptr(w), ptr(b), B, T, Cin, Cout, K)
    return out, (x, w)


def conv1d_backward(dout, cache, B, T, Cin, Cout, K):
    # dout: (B, T-K+1, Cout) -> dx: (B, T, Cin), dw: (Cout, Cin, K), db: (Cout,)
    x, w = cache
    dx = np.empty((B, T, Cin), np.float32)
    dw = np.empty((Cout, Cin, K), np.float32)
    db = np.empty(Cout, np.float32)
    ext().lib.conv1d_backward(ptr(dx), ptr(dw), ptr(db), ptr(dout), ptr(x), ptr(w), B, T, Cin, Cout, K)
    return dx, dw, db


def maxpool_time_forward(x, B, T, C):
    # x: (B, T, C) -> out: (B, C), argmax: (B, C) int32
    out = np.empty((B, C), np.float32)
    argmax = np.empty((B, C), np.int32)
    ext().lib.maxpool_time_forward(ptr(out), ptr(argmax), ptr(x), B, T, C)
    return out, argmax


def maxpool_time_backward(dout, argmax, T, B, C):
    # dout: (B, C), argmax: (B, C) in [0, T) -> dx: (B, T, C)
    dx = np.empty((B, T, C), np.float32)
    ext().lib.maxpool_time_backward(ptr(dx), ptr(dout), ptr(argmax), B, T, C)
    return dx
