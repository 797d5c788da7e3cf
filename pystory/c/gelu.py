"""C backend bindings for GELU (csrc/gelu.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array

__all__ = ["gelu_forward", "gelu_backward"]


def gelu_forward(x):
    # x: any shape float32 -> out: same shape
    check_array("gelu_forward", "x", x, np.float32)
    out = np.empty_like(x)
    if x.size:
        ext().lib.gelu_forward(ptr(out), ptr(x), x.size)
    return out


def gelu_backward(dout, x):
    # dout, x: same shape -> dx
    check_array("gelu_backward", "x", x, np.float32)
    check_array("gelu_backward", "dout", dout, np.float32, shape=x.shape)
    dx = np.empty_like(x)
    if x.size:
        ext().lib.gelu_backward(ptr(dx), ptr(dout), ptr(x), x.size)
    return dx
