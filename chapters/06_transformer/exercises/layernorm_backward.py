"""Exercise 06.1 — the LayerNorm backward pass in NumPy.

The forward (pystory/layernorm.py) computed, per row of C channels,
    xhat = (x - mean) * rstd,   out = xhat * w + b
and returned mean and rstd. Given dout = d loss / d out, return
    dx: (..., C)   d loss / d x   (through xhat, mean AND rstd)
    dw: (C,)       sum over all rows of dout * xhat
    db: (C,)       sum over all rows of dout
Any number of leading axes; float32 or float64 (keep the dtype).
Hint: call g the gradient reaching xhat. x moves xhat directly, and through
mean and through rstd, so dx has three terms; two of them are means over
the C channels. Derive it (section 2 of chapters/06_transformer/README.md).
Check your work: make grade CH=06
"""
import numpy as np


def layernorm_backward(dout, x, w, mean, rstd):
    # dout, x: (..., C), w: (C,), mean, rstd: (...,) -> dx: (..., C), dw: (C,), db: (C,)
    raise NotImplementedError("exercise 06.1: write layernorm_backward")
