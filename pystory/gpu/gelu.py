"""Launches for cuda/gelu.cu (chapters 06 and 04), shared by the cuda and emu backends."""
import numpy as np

from pystory.gpu import blocks

__all__ = ["gelu_forward", "gelu_backward"]


def gelu_forward(dev, x):
    # x: any shape float32 -> out: same shape
    dev.check("gelu_forward", "x", x, np.float32)
    out = dev.xp.empty_like(x)
    if x.size:
        dev.kernel("gelu", "gelu_forward_kernel")((blocks(x.size, 256),), (256,),
                                                  (out, x, np.int32(x.size)))
    return out


def gelu_backward(dev, dout, x):
    # dout, x: same shape -> dx
    dev.check("gelu_backward", "x", x, np.float32)
    dev.check("gelu_backward", "dout", dout, np.float32, shape=x.shape)
    dx = dev.xp.empty_like(x)
    if x.size:
        dev.kernel("gelu", "gelu_backward_kernel")((blocks(x.size, 256),), (256,),
                                                   (dx, dout, x, np.int32(x.size)))
    return dx
