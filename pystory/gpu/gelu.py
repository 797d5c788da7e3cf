"""Launches of cuda/gelu.cu (chapters 06 and 04) for the cuda and emu backends; checks: pystory/gelu.py."""
import numpy as np

from pystory.gpu import blocks


def gelu_forward(dev, x):
    # x: any shape float32 -> out: same shape; one thread per element
    out = dev.xp.empty_like(x)
    dev.kernel("gelu", "gelu_forward_kernel")((blocks(x.size, 256),), (256,), (out, x, np.int32(x.size)))
    return out


def gelu_backward(dev, dout, x):
    # dout, x: same shape -> dx
    dx = dev.xp.empty_like(x)
    dev.kernel("gelu", "gelu_backward_kernel")((blocks(x.size, 256),), (256,), (dx, dout, x, np.int32(x.size)))
    return dx
