"""Chapter 06 (and 04): layer normalization, as a NumPy reference.

Each row (one position's C channels) is normalized to mean 0 and variance 1,
then scaled and shifted per channel:
    mean = sum_c x[c] / C
    var  = sum_c (x[c] - mean)^2 / C          (biased, as PyTorch and GPT-2)
    rstd = 1 / sqrt(var + eps)                (the "reciprocal standard deviation")
    xhat = (x - mean) * rstd
    out  = xhat * w + b
The forward returns mean and rstd: the backward needs them, and keeping two
numbers per row is cheaper than recomputing them.
"""
import numpy as np

from pystory.declare import array, declare, float32, number

__all__ = ["layernorm_forward", "layernorm_backward"]


def rows_are_not_empty(C):
    """A row of no channels has no mean: C >= 1."""
    if C == 0:
        return "argument 'x' must have a non-empty last dimension (C >= 1)"


@declare(x=array(float32, "(..., C)"), w=array(float32, "(C,)"), b=array(float32, "(C,)"),
         eps=number("(0, inf)"), checks=[rows_are_not_empty],
         returns="out (..., C), mean (...), rstd (...)")
def layernorm_forward(x, w, b, eps=1e-5):
    # x: (..., C), w, b: (C,) -> out: (..., C), mean, rstd: (...,)
    mean = x.mean(axis=-1)
    xc = x - mean[..., None]
    var = (xc * xc).mean(axis=-1)
    rstd = 1.0 / np.sqrt(var + eps)
    out = xc * rstd[..., None] * w + b
    return out, mean.astype(x.dtype), rstd.astype(x.dtype)


@declare(dout=array(float32, "(..., C)"), x=array(float32, "(..., C)"), w=array(float32, "(C,)"),
         mean=array(float32, "(...)"), rstd=array(float32, "(...)"), checks=[rows_are_not_empty],
         returns="dx (..., C), dw (C,), db (C,)")
def layernorm_backward(dout, x, w, mean, rstd):
    # dout, x: (..., C), w: (C,), mean, rstd: (...,) -> dx: (..., C), dw, db: (C,)
    #
    # Self-contained on purpose (it is homework): only NumPy and the inputs.
    # With xhat = (x - mean) * rstd and g = dout * w (the gradient at xhat),
    # differentiating through mean and rstd gives, per row,
    #     dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat))
    # The two means are what normalization "takes back": shifting every
    # input equally changes nothing (mean term), and so does scaling it
    # (xhat term).
    C = x.shape[-1]
    xhat = (x - mean[..., None]) * rstd[..., None]
    g = dout * w
    g_mean = g.mean(axis=-1, keepdims=True)
    gx_mean = (g * xhat).mean(axis=-1, keepdims=True)
    dx = rstd[..., None] * (g - g_mean - xhat * gx_mean)
    dw = (dout * xhat).reshape(-1, C).sum(axis=0)
    db = dout.reshape(-1, C).sum(axis=0)
    return dx, dw, db
