"""Launches for cuda/conv1d.cu (chapter 05), shared by the cuda and emu backends.
The checks are in the declarations (pystory/conv1d.py)."""
import numpy as np

from pystory.gpu import blocks

__all__ = ["conv1d_forward", "conv1d_backward", "maxpool_time_forward", "maxpool_time_backward"]

THREADS = 256
TILE, CCH = 16, 16           # as in cuda/conv1d.cu
SHARED_MAX = 48 * 1024       # bytes of shared memory a block may use without opting in


def tiled_shared_bytes(K):
    return 4 * ((TILE + K - 1) * CCH + TILE * CCH * K)


def conv1d_forward(dev, x, w, b, version, B, T, Cin, Cout, K):
    # x: (B, T, Cin), w: (Cout, Cin, K), b: (Cout,) -> out: (B, T-K+1, Cout), cache = (x, w)
    Tout = T - K + 1
    out = dev.xp.empty((B, Tout, Cout), np.float32)
    n = B * Tout * Cout
    if n == 0:
        return out, (x, w)
    sizes = tuple(np.int32(s) for s in (B, T, Cin, Cout, K))
    shared = tiled_shared_bytes(K)
    if version == "naive" or shared > SHARED_MAX:     # a kernel too wide to stage: the naive version
        dev.kernel("conv1d", "conv1d_forward_naive_kernel")((blocks(n, THREADS),), (THREADS,),
                                                            (out, x, w, b) + sizes)
    else:
        grid = (blocks(Cout, TILE), blocks(Tout, TILE), B)
        dev.kernel("conv1d", "conv1d_forward_tiled_kernel")(grid, (TILE, TILE), (out, x, w, b) + sizes,
                                                            shared_mem=shared)
    return out, (x, w)


def conv1d_backward(dev, dout, cache, B, T, Cin, Cout, K):
    # dout: (B, T-K+1, Cout) -> dx: (B, T, Cin), dw: (Cout, Cin, K), db: (Cout,)
    x, w = cache
    xp = dev.xp
    dx = xp.zeros((B, T, Cin), np.float32)
    dw = xp.zeros((Cout, Cin, K), np.float32)
    db = xp.zeros(Cout, np.float32)
    sizes = tuple(np.int32(s) for s in (B, T, Cin, Cout, K))
    if dx.size:
        dev.kernel("conv1d", "conv1d_backward_dx_kernel")((blocks(dx.size, THREADS),), (THREADS,),
                                                          (dx, dout, w) + sizes)
    if dw.size:
        dev.kernel("conv1d", "conv1d_backward_dw_kernel")((blocks(dw.size, THREADS),), (THREADS,),
                                                          (dw, dout, x) + sizes)
    if Cout:
        dev.kernel("conv1d", "conv1d_backward_db_kernel")((blocks(Cout, THREADS),), (THREADS,),
                                                          (db, dout, np.int32(B * (T - K + 1)), np.int32(Cout)))
    return dx, dw, db


def maxpool_time_forward(dev, x, B, T, C):
    # x: (B, T, C) -> out: (B, C), argmax: (B, C) int32; one thread per (b, c)
    out = dev.xp.empty((B, C), np.float32)
    argmax = dev.xp.empty((B, C), np.int32)
    if B * C:
        dev.kernel("conv1d", "maxpool_time_forward_kernel")((blocks(B * C, THREADS),), (THREADS,),
                                                            (out, argmax, x, np.int32(B), np.int32(T), np.int32(C)))
    return out, argmax


def maxpool_time_backward(dev, dout, argmax, T, B, C):
    # dout: (B, C), argmax: (B, C) in [0, T) -> dx: (B, T, C); one thread per dx value
    dx = dev.xp.empty((B, T, C), np.float32)
    if dx.size:
        dev.kernel("conv1d", "maxpool_time_backward_kernel")((blocks(dx.size, THREADS),), (THREADS,),
                                                             (dx, dout, argmax, np.int32(B), np.int32(T), np.int32(C)))
    return dx
