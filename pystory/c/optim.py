"""C backend bindings for AdamW and gradient clipping (csrc/optim.c); checks: pystory/optim.py."""
from pystory.c import ext, ptr


def adamw_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decay_mask):
    # params, grads, m, v: (P,) float32; params, m, v are updated in place -> None
    ext().lib.adamw_update(ptr(params), ptr(grads), ptr(m), ptr(v), params.size, step, lr,
                           beta1, beta2, eps, weight_decay, ptr(decay_mask))


def grad_norm(grads):
    # grads: (P,) float32 -> the global L2 norm as a Python float
    return float(ext().lib.grad_norm(ptr(grads), grads.size))


def scale_inplace(x, s):
    # x: (P,) float32, multiplied by s in place -> None
    ext().lib.scale_inplace(ptr(x), s, x.size)


def clip_grad_norm(grads, max_norm):
    # grads: (P,), scaled in place so its norm is at most max_norm -> the norm before
    norm = grad_norm(grads)
    if norm > max_norm:
        scale_inplace(grads, max_norm / (norm + 1e-6))
    return norm
