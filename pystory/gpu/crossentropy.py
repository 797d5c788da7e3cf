"""Launches for cuda/crossentropy.cu (chapters 06 and 04), shared by the cuda and emu backends."""
import numpy as np

from pystory.gpu import blocks

__all__ = ["crossentropy_forward", "crossentropy_backward", "crossentropy_fused"]

WARPS = 4   # rows per block: one warp per row


def _check(dev, op, logits_name, logits, targets):
    dev.check(op, logits_name, logits, np.float32, ndim=2)
    N, V = logits.shape
    if V == 0:
        raise ValueError(f"{op}: argument '{logits_name}' must have at least one column (V >= 1)")
    dev.check(op, "targets", targets, np.int32, shape=(N,))
    if N:
        # One small device-to-host copy (a sync on a GPU): a bad target would
        # make the kernel read outside the row.
        lo, hi = int(targets.min()), int(targets.max())
        if lo < 0 or hi >= V:
            raise ValueError(f"{op}: argument 'targets' must be in [0, {V}), found {lo if lo < 0 else hi}")
    return N, V


def crossentropy_forward(dev, logits, targets):
    # logits: (N, V) float32, targets: (N,) int32 -> losses: (N,), probs: (N, V)
    N, V = _check(dev, "crossentropy_forward", "logits", logits, targets)
    losses = dev.xp.empty(N, dtype=np.float32)
    probs = dev.xp.empty_like(logits)
    if N:
        dev.kernel("crossentropy", "crossentropy_forward_kernel")(
            (blocks(N, WARPS),), (32 * WARPS,), (losses, probs, logits, targets, np.int32(N), np.int32(V)))
    return losses, probs


def crossentropy_backward(dev, dlosses, probs, targets):
    # dlosses: (N,), probs: (N, V), targets: (N,) -> dlogits: (N, V)
    op = "crossentropy_backward"
    N, V = _check(dev, op, "probs", probs, targets)
    dev.check(op, "dlosses", dlosses, np.float32, shape=(N,))
    dlogits = dev.xp.empty_like(probs)
    if N:
        dev.kernel("crossentropy", "crossentropy_backward_kernel")(
            (blocks(N * V, 256),), (256,), (dlogits, dlosses, probs, targets, np.int32(N), np.int32(V)))
    return dlogits


def crossentropy_fused(dev, logits, targets):
    # logits: (N, V), targets: (N,) -> losses: (N,), dlogits: (N, V) = d mean(losses) / d logits
    N, V = _check(dev, "crossentropy_fused", "logits", logits, targets)
    losses = dev.xp.empty(N, dtype=np.float32)
    dlogits = dev.xp.empty_like(logits)
    if N:
        dev.kernel("crossentropy", "crossentropy_fused_kernel")(
            (blocks(N, WARPS),), (32 * WARPS,), (losses, dlogits, logits, targets, np.int32(N), np.int32(V)))
    return losses, dlogits
