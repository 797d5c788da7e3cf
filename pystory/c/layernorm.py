"""C backend bindings for layer normalization (csrc/layernorm.c); checks: pystory/layernorm.py."""
import numpy as np

from pystory.c import ext, ptr


def layernorm_forward(x, w, b, eps, C):
    # x: (..., C), w, b: (C,) -> out: (..., C), mean, rstd: (...,); N = x.size // C rows
    out = np.empty_like(x)
    mean = np.empty(x.shape[:-1], dtype=np.float32)
    rstd = np.empty(x.shape[:-1], dtype=np.float32)
    ext().lib.layernorm_forward(ptr(out), ptr(mean), ptr(rstd), ptr(x), ptr(w), ptr(b), eps, x.size // C, C)
    return out, mean, rstd


def layernorm_backward(dout, x, w, mean, rstd, C):
    # dout, x: (..., C), w: (C,), mean, rstd: (...,) -> dx: (..., C), dw, db: (C,)
    dx = np.empty_like(x)
    dw = np.zeros(C, dtype=np.float32)
    db = np.zeros(C, dtype=np.float32)
    ext().lib.layernorm_backward(ptr(dx), ptr(dw), ptr(db), ptr(dout), ptr(x), ptr(w),
                                 ptr(mean), ptr(rstd), x.size // C, C)
    return dx, dw, db
