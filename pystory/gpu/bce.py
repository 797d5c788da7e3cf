"""Launches for cuda/bce.cu (chapter 05), shared by the cuda and emu backends.
The checks are in the declarations (pystory/bce.py)."""
import numpy as np

from pystory.gpu import blocks

__all__ = ["bce_with_logits_forward", "bce_with_logits_backward"]

THREADS = 256


def bce_with_logits_forward(dev, logits, targets, N):
    # logits, targets: (N,) -> loss: (N,); one thread per element
    loss = dev.xp.empty(N, np.float32)
    if N:
        dev.kernel("bce", "bce_with_logits_forward_kernel")((blocks(N, THREADS),), (THREADS,),
                                                            (loss, logits, targets, np.int32(N)))
    return loss


def bce_with_logits_backward(dev, dloss, logits, targets, N):
    # dloss, logits, targets: (N,) -> dlogits: (N,); one thread per element
    dlogits = dev.xp.empty(N, np.float32)
    if N:
        dev.kernel("bce", "bce_with_logits_backward_kernel")((blocks(N, THREADS),), (THREADS,),
                                                             (dlogits, dloss, logits, targets, np.int32(N)))
    return dlogits
