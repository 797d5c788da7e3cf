"""C backend bindings for the linear layer (csrc/linear.c); checks: pystory/linear.py.
C has one (blocked) matmul, whichever `version` is asked for."""
import numpy as np

from pystory.c import ext, ptr


def linear_forward(x, w, b, C, OC):
    # x: (..., C), w: (OC, C), b: (OC,) or None -> out: (..., OC); N = the rows of x
    out = np.empty(x.shape[:-1] + (OC,), dtype=np.float32)
    if out.size:
        ext().lib.linear_forward(ptr(out), ptr(x), ptr(w), ptr(b), out.size // OC, C, OC)
    return out


def linear_backward(dout, x, w, C, OC):
    # dout: (..., OC), x: (..., C), w: (OC, C) -> dx: (..., C), dw: (OC, C), db: (OC,)
    N = dout.size // OC if OC else x.size // C if C else 0
    dx = np.zeros_like(x)
    dw = np.zeros((OC, C), dtype=np.float32)
    db = np.zeros(OC, dtype=np.float32)
    if N and C and OC:
        ext().lib.linear_backward(ptr(dx), ptr(dw), ptr(db), ptr(dout), ptr(x), ptr(w), N, C, OC)
    elif N and OC:
        db[...] = dout.reshape(N, OC).sum(axis=0)   # C == 0: no weights, but still a bias gradient
    return dx, dw, db
