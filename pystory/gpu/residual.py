"""Launches of cuda/residual.cu (chapter 06) for the cuda and emu backends; checks: pystory/residual.py."""
import numpy as np

from pystory.gpu import blocks


def residual_forward(dev, a, b):
    # a, b: same shape float32 -> out; one thread per element
    out = dev.xp.empty_like(a)
    dev.kernel("residual", "residual_forward_kernel")((blocks(a.size, 256),), (256,), (out, a, b, np.int32(a.size)))
    return out


def residual_backward(dev, dout):
    # dout -> (da, db), both dout itself (the gradient of a sum passes through): no kernel runs
    return dout, dout
