"""C backend bindings for the linear layer (csrc/linear.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array, leading_rows

__all__ = ["linear_forward", "linear_backward"]




def linear_forward(x, w, b):
    # x: (..., C), w: (OC, C), b: (OC,) or None -> out: (..., OC)
    op = "linear_forward"
    check_array(op, "w", w, np.float32, ndim=2)
    OC, C = w.shape
    check_array(op, "x", x, np.float32)
    N = leading_rows(op, "x", x, C)
    if b is not None:
        check_array(op, "b", b, np.float32, shape=(OC,))
    out = np.empty(x.shape[:-1] + (OC,), dtype=np.float32)
    if out.size:
        ext().lib.linear_forward(ptr(out), ptr(x), ptr(w),
                                 ptr(b) if b is not None else ext().ffi.NULL, N, C, OC)
    return out


def linear_backward(dout, x, w):
    # dout: (..., OC), x: (..., C), w: (OC, C) -> dx: (..., C), dw: (OC, C), db: (OC,)
    op = "linear_backward"
    check_array(op, "w", w, np.float32, ndim=2)
    OC, C = w.shape
    check_array(op, "x", x, np.float32)
    check_array(op, "dout", dout, np.float32, shape=x.shape[:-1] + (OC,))
    N = leading_rows(op, "x", x, C)
    dx = np.empty_like(x)
    dw = np.empty((OC, C), dtype=np.float32)
    db = np.empty(OC, dtype=np.float32)
    if N and C and OC:
        ext().lib.linear_backward(ptr(dx), ptr(dw), ptr(db), ptr(dout), ptr(x), ptr(w), N, C, OC)
        return dx, dw, db
    # an empty dimension: sums over nothing are zero (C == 0 still has a bias gradient)
    dx[...] = 0
    dw[...] = 0
    db[...] = dout.reshape(N, OC).sum(axis=0) if N else 0
    return dx, dw, db
