"""Chapter 06 (and 04): the linear layer, out = x @ w.T + b, as a NumPy reference.

Layout follows PyTorch and llm.c: the weight is (OC, C), one row per output
channel, so that row j of w is the "template" that output channel j matches
against the input. x may have any leading dimensions (B, T, C); they are
flattened into N = B*T rows, because a linear layer treats every position
independently.

Backward, from out[n, j] = sum_c x[n, c] * w[j, c] + b[j]:
    dx[n, c] = sum_j dout[n, j] * w[j, c]      dx = dout @ w
    dw[j, c] = sum_n dout[n, j] * x[n, c]      dw = dout.T @ x
    db[j]    = sum_n dout[n, j]                db = dout.sum(0)
Three matrix products of the same size (2*N*C*OC flops each, counting a
multiply-add as two): the backward pass costs twice the forward.

`version` picks the CUDA matmul kernel (naive, tiled, regblock: see
cuda/linear.cu); NumPy (BLAS) and C (one blocked kernel) accept the names.
"""
import numpy as np

from pystory.declare import array, choice, declare, float32

__all__ = ["linear_forward", "linear_backward"]

VERSIONS = choice("naive", "tiled", "regblock", default="regblock")


@declare(x=array(float32, "(..., C)"), w=array(float32, "(OC, C)"), b=array(float32, "(OC,)", optional=True),
         version=VERSIONS, returns="out (..., OC)")
def linear_forward(x, w, b):
    # x: (..., C), w: (OC, C), b: (OC,) or None -> out: (..., OC)
    out = x @ w.T
    if b is not None:
        out = out + b
    return out


@declare(dout=array(float32, "(..., OC)"), x=array(float32, "(..., C)"), w=array(float32, "(OC, C)"),
         version=VERSIONS, returns="dx (..., C), dw (OC, C), db (OC,)")
def linear_backward(dout, x, w):
    # dout: (..., OC), x: (..., C), w: (OC, C) -> dx: (..., C), dw: (OC, C), db: (OC,)
    C, OC = x.shape[-1], w.shape[0]
    N = int(np.prod(x.shape[:-1]))      # every position is one row
    dout2 = dout.reshape(N, OC)         # (N, OC)
    x2 = x.reshape(N, C)                # (N, C)
    dx = (dout2 @ w).reshape(x.shape)
    dw = dout2.T @ x2
    db = dout2.sum(axis=0)
    return dx, dw, db
