"""Launches for cuda/gumbel.cu (chapter 05), shared by the cuda and emu backends.
The checks are in the declarations (pystory/gumbel.py)."""
import numpy as np

from pystory.gpu import blocks

__all__ = ["gumbel_softmax_forward", "gumbel_softmax_backward"]

WARPS = 8    # rows per block: one warp per row


def gumbel_softmax_forward(dev, logits, tau, seed, offset, mode, N, V):
    # logits: (N, V) -> out: (N, V), cache = (y, tau); 64-bit seed and offset go as (lo, hi) halves
    y = dev.xp.empty((N, V), np.float32)
    out = dev.xp.empty((N, V), np.float32) if mode == "hard" else y
    if N * V:
        halves = (np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32),
                  np.uint32(offset & 0xFFFFFFFF), np.uint32(offset >> 32))
        dev.kernel("gumbel", "gumbel_softmax_forward_kernel")(
            (blocks(N, WARPS),), (32 * WARPS,),
            (out, y, logits, np.float32(tau), *halves, np.int32(mode == "hard"), np.int32(N), np.int32(V)))
    return out, (y, tau)


def gumbel_softmax_backward(dev, dy, cache, N, V):
    # dy: (N, V) -> dlogits: (N, V); one warp per row
    y, tau = cache
    dlogits = dev.xp.empty((N, V), np.float32)
    if N * V:
        dev.kernel("gumbel", "gumbel_softmax_backward_kernel")((blocks(N, WARPS),), (32 * WARPS,),
                                                               (dlogits, dy, y, np.float32(tau), np.int32(N), np.int32(V)))
    return dlogits
