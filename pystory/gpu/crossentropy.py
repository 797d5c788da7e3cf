"""Launches of cuda/crossentropy.cu (chapters 06, 04) for the cuda and emu backends; checks: pystory/crossentropy.py."""
import numpy as np

from pystory.gpu import blocks

WARPS = 4   # rows per block: one warp per row


def crossentropy_forward(dev, logits, targets, N, V):
    # logits: (N, V) float32, targets: (N,) int32 -> losses: (N,), probs: (N, V)
    losses = dev.xp.empty(N, dtype=np.float32)
    probs = dev.xp.empty_like(logits)
    dev.kernel("crossentropy", "crossentropy_forward_kernel")(
        (blocks(N, WARPS),), (32 * WARPS,), (losses, probs, logits, targets, np.int32(N), np.int32(V)))
    return losses, probs


def crossentropy_backward(dev, dlosses, probs, targets, N, V):
    # dlosses: (N,), probs: (N, V), targets: (N,) -> dlogits: (N, V); one thread per value
    dlogits = dev.xp.empty_like(probs)
    dev.kernel("crossentropy", "crossentropy_backward_kernel")(
        (blocks(N * V, 256),), (256,), (dlogits, dlosses, probs, targets, np.int32(N), np.int32(V)))
    return dlogits


def crossentropy_fused(dev, logits, targets, N, V):
    # logits: (N, V), targets: (N,) -> losses: (N,), dlogits: (N, V) = d mean(losses) / d logits
    losses = dev.xp.empty(N, dtype=np.float32)
    dlogits = dev.xp.empty_like(logits)
    dev.kernel("crossentropy", "crossentropy_fused_kernel")(
        (blocks(N, WARPS),), (32 * WARPS,), (losses, dlogits, logits, targets, np.int32(N), np.int32(V)))
    return losses, dlogits
