"""C backend bindings for softmax + cross-entropy (csrc/crossentropy.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array
from pystory.crossentropy import check_targets

__all__ = ["crossentropy_forward", "crossentropy_backward", "crossentropy_fused"]


def _check(op, logits_name, logits, targets):
    check_array(op, logits_name, logits, np.float32, ndim=2)
    N, V = logits.shape
    if V == 0:
        raise ValueError(f"{op}: argument '{logits_name}' must have at least one column (V >= 1)")
    check_array(op, "targets", targets, np.int32, shape=(N,))
    check_targets(op, targets, V)
    return N, V


def _call(op, rc):
    if rc != 0:  # the C side re-checks the targets; the check above makes this unreachable
        raise ValueError(f"{op}: argument 'targets' out of range")


def crossentropy_forward(logits, targets):
    # logits: (N, V) float32, targets: (N,) int32 -> losses: (N,), probs: (N, V)
    op = "crossentropy_forward"
    N, V = _check(op, "logits", logits, targets)
    losses = np.empty(N, dtype=np.float32)
    probs = np.empty_like(logits)
    _call(op, ext().lib.crossentropy_forward(ptr(losses), ptr(probs), ptr(logits), ptr(targets), N, V))
    return losses, probs


def crossentropy_backward(dlosses, probs, targets):
    # dlosses: (N,), probs: (N, V), targets: (N,) -> dlogits: (N, V)
    op = "crossentropy_backward"
    N, V = _check(op, "probs", probs, targets)
    check_array(op, "dlosses", dlosses, np.float32, shape=(N,))
    dlogits = np.empty_like(probs)
    _call(op, ext().lib.crossentropy_backward(ptr(dlogits), ptr(dlosses), ptr(probs), ptr(targets), N, V))
    return dlogits


def crossentropy_fused(logits, targets):
    # logits: (N, V), targets: (N,) -> losses: (N,), dlogits: (N, V) = d mean(losses) / d logits
    op = "crossentropy_fused"
    N, V = _check(op, "logits", logits, targets)
    losses = np.empty(N, dtype=np.float32)
    dlogits = np.empty_like(logits)
    _call(op, ext().lib.crossentropy_fused(ptr(losses), ptr(dlogits), ptr(logits), ptr(targets), N, V))
    return losses, dlogits
