"""Launches of cuda/optim.cu (chapters 06 and 04) for the cuda and emu backends; checks: pystory/optim.py."""
import math

import numpy as np

from pystory.gpu import blocks

NORM_THREADS = 256
NORM_BLOCKS = 256   # a fixed grid: the partial sums, hence the norm, do not depend on timing


def adamw_update(dev, params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decay_mask):
    # params, grads, m, v: (P,) float32 on the device; params, m, v updated in place -> None
    n = params.size
    bc1 = 1.0 - beta1 ** step   # bias corrections, the same for every parameter
    bc2 = 1.0 - beta2 ** step
    has_mask = decay_mask is not None
    mask = decay_mask if has_mask else dev.xp.zeros(1, np.uint8)  # never read without the mask
    f = np.float32
    dev.kernel("optim", "adamw_update_kernel")(
        (blocks(n, 256),), (256,), (params, grads, m, v, np.int32(n), f(lr), f(beta1), f(beta2),
                                    f(bc1), f(bc2), f(eps), f(weight_decay), mask, np.int32(has_mask)))


def grad_norm(dev, grads):
    # grads: (P,) float32 -> the global L2 norm as a Python float
    n = grads.size
    if n == 0:
        return 0.0
    nblocks = min(NORM_BLOCKS, blocks(n, NORM_THREADS))
    partial = dev.xp.empty(nblocks, dtype=np.float32)
    total = dev.xp.empty(1, dtype=np.float32)
    dev.kernel("optim", "grad_norm_partial_kernel")((nblocks,), (NORM_THREADS,), (partial, grads, np.int32(n)))
    dev.kernel("optim", "grad_norm_final_kernel")((1,), (NORM_THREADS,), (total, partial, np.int32(nblocks)))
    return math.sqrt(float(total[0]))


def scale_inplace(dev, x, s):
    # x: (P,) float32, multiplied by s in place -> None
    dev.kernel("optim", "scale_inplace_kernel")((blocks(x.size, 256),), (256,), (x, np.float32(s), np.int32(x.size)))


def clip_grad_norm(dev, grads, max_norm):
    # grads: (P,), scaled in place so its norm is at most max_norm -> the norm before
    norm = grad_norm(dev, grads)
    if norm > max_norm:
        scale_inplace(dev, grads, max_norm / (norm + 1e-6))
    return norm
