"""C backend bindings for AdamW and gradient clipping (csrc/optim.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import check_array, check_scalar

__all__ = ["adamw_update", "grad_norm", "scale_inplace", "clip_grad_norm"]


def check_adamw_args(op, check, params, grads, m, v, step, lr, beta1, beta2, eps,
                     weight_decay, decay_mask):
    """Shared by the C and GPU bindings: returns the scalars as Python numbers."""
    check(op, "params", params, np.float32, ndim=1)
    for name, a in (("grads", grads), ("m", m), ("v", v)):
        check(op, name, a, np.float32, shape=params.shape)
    if decay_mask is not None:
        check(op, "decay_mask", decay_mask, np.uint8, shape=params.shape)
    step = check_scalar(op, "step", step, int)
    if step < 1:
        raise ValueError(f"{op}: argument 'step' must be >= 1 (it is 1-based), got {step}")
    lr = check_scalar(op, "lr", lr)
    beta1 = check_scalar(op, "beta1", beta1)
    beta2 = check_scalar(op, "beta2", beta2)
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{op}: argument '{name}' must be in [0, 1), got {beta}")
    eps = check_scalar(op, "eps", eps)
    weight_decay = check_scalar(op, "weight_decay", weight_decay)
    return step, lr, beta1, beta2, eps, weight_decay


def adamw_update(params, grads, m, v, step, lr, beta1=0.9, beta2=0.95, eps=1e-8,
                 weight_decay=0.0, decay_mask=None):
    # params, grads, m, v: (P,) float32; params, m, v are updated in place -> None
    op = "adamw_update"
    step, lr, beta1, beta2, eps, weight_decay = check_adamw_args(
        op, check_array, params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decay_mask)
    if params.size == 0:
        return None
    mask = ptr(decay_mask) if decay_mask is not None else ext().ffi.NULL
    ext().lib.adamw_update(ptr(params), ptr(grads), ptr(m), ptr(v), params.size, step, lr,
                           beta1, beta2, eps, weight_decay, mask)
    return None


def grad_norm(grads):
    # grads: (P,) float32 -> the global L2 norm as a Python float
    check_array("grad_norm", "grads", grads, np.float32, ndim=1)
    return float(ext().lib.grad_norm(ptr(grads), grads.size))


def scale_inplace(x, s):
    # x: (P,) float32, multiplied by s in place -> None
    check_array("scale_inplace", "x", x, np.float32, ndim=1)
    s = check_scalar("scale_inplace", "s", s)
    if x.size:
        ext().lib.scale_inplace(ptr(x), s, x.size)


def clip_grad_norm(grads, max_norm):
    # grads: (P,), scaled in place so its norm is at most max_norm -> the norm before
    check_array("clip_grad_norm", "grads", grads, np.float32, ndim=1)
    max_norm = check_scalar("clip_grad_norm", "max_norm", max_norm)
    norm = grad_norm(grads)
    if norm > max_norm:
        scale_inplace(grads, max_norm / (norm + 1e-6))
    return norm
