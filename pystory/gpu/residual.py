"""Launches for cuda/residual.cu (chapter 06), shared by the cuda and emu backends; checks: pystory/residual.py.

residual_backward(dout) returns (dout, dout), the same array twice (see
pystory/residual.py): no kernel runs.
"""
import numpy as np

from pystory.gpu import blocks

__all__ = ["residual_forward", "residual_backward"]


def residual_forward(dev, a, b):
    # a, b: same shape float32 -> out; one thread per element
    out = dev.xp.empty_like(a)
    if a.size:
        dev.kernel("residual", "residual_forward_kernel")((blocks(a.size, 256),), (256,), (out, a, b, np.int32(a.size)))
    return out


def residual_backward(dev, dout):
    # dout -> (da, db), both dout itself
    return dout, dout
