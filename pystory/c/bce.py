"""C backend bindings for chapter 05's binary cross-entropy (csrc/bce.c); checks: pystory/bce.py."""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["bce_with_logits_forward", "bce_with_logits_backward"]


def bce_with_logits_forward(logits, targets, N):
    # logits, targets: (N,) -> loss: (N,)
    loss = np.empty(N, np.float32)
    ext().lib.bce_with_logits_forward(ptr(loss), ptr(logits), ptr(targets), N)
    return loss


def bce_with_logits_backward(dloss, logits, targets, N):
    # dloss, logits, targets: (N,) -> dlogits: (N,)
    dlogits = np.empty(N, np.float32)
    ext().lib.bce_with_logits_backward(ptr(dlogits), ptr(dloss), ptr(logits), ptr(targets), N)
    return dlogits
