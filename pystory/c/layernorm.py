"""C backend bindings for layer normalization (csrc/layernorm.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import check_array, check_scalar

__all__ = ["layernorm_forward", "layernorm_backward"]


def _check_x(op, x):
    check_array(op, "x", x, np.float32)
    if x.ndim < 1 or x.shape[-1] == 0:
        raise ValueError(f"{op}: argument 'x' must have a non-empty last dimension, got shape {x.shape}")
    C = x.shape[-1]
    return x.size // C, C


def layernorm_forward(x, w, b, eps=1e-5):
    # x: (..., C), w, b: (C,) -> out: (..., C), mean, rstd: (...,)
    op = "layernorm_forward"
    N, C = _check_x(op, x)
    check_array(op, "w", w, np.float32, shape=(C,))
    check_array(op, "b", b, np.float32, shape=(C,))
    eps = check_scalar(op, "eps", eps)
    if eps <= 0:
        raise ValueError(f"{op}: argument 'eps' must be > 0, got {eps}")
    out = np.empty_like(x)
    mean = np.empty(x.shape[:-1], dtype=np.float32)
    rstd = np.empty(x.shape[:-1], dtype=np.float32)
    if N:
        ext().lib.layernorm_forward(ptr(out), ptr(mean), ptr(rstd), ptr(x), ptr(w), ptr(b), eps, N, C)
    return out, mean, rstd


def layernorm_backward(dout, x, w, mean, rstd):
    # dout, x: (..., C), w: (C,), mean, rstd: (...,) -> dx: (..., C), dw, db: (C,)
    op = "layernorm_backward"
    N, C = _check_x(op, x)
    check_array(op, "dout", dout, np.float32, shape=x.shape)
    check_array(op, "w", w, np.float32, shape=(C,))
    check_array(op, "mean", mean, np.float32, shape=x.shape[:-1])
    check_array(op, "rstd", rstd, np.float32, shape=x.shape[:-1])
    dx = np.empty_like(x)
    dw = np.empty(C, dtype=np.float32)
    db = np.empty(C, dtype=np.float32)
    if N == 0:
        dw[:] = 0
        db[:] = 0
        return dx, dw, db
    ext().lib.layernorm_backward(ptr(dx), ptr(dw), ptr(db), ptr(dout), ptr(x), ptr(w),
                                 ptr(mean), ptr(rstd), N, C)
    return dx, dw, db
