"""C backend bindings for softmax + cross-entropy (csrc/crossentropy.c); checks: pystory/crossentropy.py."""
import numpy as np

from pystory.c import ext, ptr


def _call(op, rc):
    if rc != 0:  # the C side re-checks the targets; the declaration makes this unreachable
        raise ValueError(f"{op}: argument 'targets' out of range")


def crossentropy_forward(logits, targets, N, V):
    # logits: (N, V) float32, targets: (N,) int32 -> losses: (N,), probs: (N, V)
    losses = np.empty(N, dtype=np.float32)
    probs = np.empty_like(logits)
    _call("crossentropy_forward", ext().lib.crossentropy_forward(ptr(losses), ptr(probs), ptr(logits),
                                                                 ptr(targets), N, V))
    return losses, probs


def crossentropy_backward(dlosses, probs, targets, N, V):
    # dlosses: (N,), probs: (N, V), targets: (N,) -> dlogits: (N, V)
    dlogits = np.empty_like(probs)
    _call("crossentropy_backward", ext().lib.crossentropy_backward(ptr(dlogits), ptr(dlosses), ptr(probs),
                                                                   ptr(targets), N, V))
    return dlogits


def crossentropy_fused(logits, targets, N, V):
    # logits: (N, V), targets: (N,) -> losses: (N,), dlogits: (N, V) = d mean(losses) / d logits
    losses = np.empty(N, dtype=np.float32)
    dlogits = np.empty_like(logits)
    _call("crossentropy_fused", ext().lib.crossentropy_fused(ptr(losses), ptr(dlogits), ptr(logits),
                                                             ptr(targets), N, V))
    return losses, dlogits
