"""C backend bindings for GELU (csrc/gelu.c); checks: pystory/gelu.py."""
import numpy as np

from pystory.c import ext, ptr


def gelu_forward(x):
    # x: any shape float32 -> out: same shape
    out = np.empty_like(x)
    ext().lib.gelu_forward(ptr(out), ptr(x), x.size)
    return out


def gelu_backward(dout, x):
    # dout, x: same shape -> dx
    dx = np.empty_like(x)
    ext().lib.gelu_backward(ptr(dx), ptr(dout), ptr(x), x.size)
    return dx
