"""Launches for cuda/layernorm.cu (chapters 06 and 04), shared by the cuda and emu backends."""
import numpy as np

from pystory.check import check_scalar
from pystory.gpu import blocks

__all__ = ["layernorm_forward", "layernorm_backward"]

WARPS = 4   # rows per block: one warp per row


def _rows(op, x):
    if x.ndim < 1 or x.shape[-1] == 0:
        raise ValueError(f"{op}: argument 'x' must have a non-empty last dimension, got shape {x.shape}")
    C = x.shape[-1]
    return x.size // C, C


def layernorm_forward(dev, x, w, b, eps=1e-5):
    # x: (..., C), w, b: (C,) -> out: (..., C), mean, rstd: (...,)
    op = "layernorm_forward"
    dev.check(op, "x", x, np.float32)
    N, C = _rows(op, x)
    dev.check(op, "w", w, np.float32, shape=(C,))
    dev.check(op, "b", b, np.float32, shape=(C,))
    eps = check_scalar(op, "eps", eps)
    if eps <= 0:
        raise ValueError(f"{op}: argument 'eps' must be > 0, got {eps}")
    out = dev.xp.empty_like(x)
    mean = dev.xp.empty(x.shape[:-1], dtype=np.float32)
    rstd = dev.xp.empty(x.shape[:-1], dtype=np.float32)
    if N:
        dev.kernel("layernorm", "layernorm_forward_kernel")(
            (blocks(N, WARPS),), (32 * WARPS,),
            (out, mean, rstd, x, w, b, np.float32(eps), np.int32(N), np.int32(C)))
    return out, mean, rstd


def layernorm_backward(dev, dout, x, w, mean, rstd):
    # dout, x: (..., C), w: (C,), mean, rstd: (...,) -> dx: (..., C), dw, db: (C,)
    op = "layernorm_backward"
    dev.check(op, "x", x, np.float32)
    N, C = _rows(op, x)
    dev.check(op, "dout", dout, np.float32, shape=x.shape)
    dev.check(op, "w", w, np.float32, shape=(C,))
    dev.check(op, "mean", mean, np.float32, shape=x.shape[:-1])
    dev.check(op, "rstd", rstd, np.float32, shape=x.shape[:-1])
    dx = dev.xp.empty_like(x)
    dw = dev.xp.zeros(C, dtype=np.float32)
    db = dev.xp.zeros(C, dtype=np.float32)
    if N == 0:
        return dx, dw, db
    args = (dout, x, w, mean, rstd, np.int32(N), np.int32(C))
    dev.kernel("layernorm", "layernorm_backward_kernel")((blocks(N, WARPS),), (32 * WARPS,), (dx,) + args)
    dev.kernel("layernorm", "layernorm_param_backward_kernel")(
        (blocks(C, 256),), (256,), (dw, db, dout, x, mean, rstd, np.int32(N), np.int32(C)))
    return dx, dw, db
