"""Launches of cuda/layernorm.cu (chapters 06 and 04) for the cuda and emu backends; checks: pystory/layernorm.py."""
import numpy as np

from pystory.gpu import blocks

WARPS = 4   # rows per block: one warp per row


def layernorm_forward(dev, x, w, b, eps, C):
    # x: (..., C), w, b: (C,) -> out: (..., C), mean, rstd: (...,); N = x.size // C rows
    out = dev.xp.empty_like(x)
    mean = dev.xp.empty(x.shape[:-1], dtype=np.float32)
    rstd = dev.xp.empty(x.shape[:-1], dtype=np.float32)
    N = x.size // C
    dev.kernel("layernorm", "layernorm_forward_kernel")(
        (blocks(N, WARPS),), (32 * WARPS,), (out, mean, rstd, x, w, b, np.float32(eps), np.int32(N), np.int32(C)))
    return out, mean, rstd


def layernorm_backward(dev, dout, x, w, mean, rstd, C):
    # dout, x: (..., C), w: (C,), mean, rstd: (...,) -> dx: (..., C), dw, db: (C,)
    dx = dev.xp.empty_like(x)
    dw = dev.xp.zeros(C, dtype=np.float32)
    db = dev.xp.zeros(C, dtype=np.float32)
    N = x.size // C
    sizes = (np.int32(N), np.int32(C))
    dev.kernel("layernorm", "layernorm_backward_kernel")((blocks(N, WARPS),), (32 * WARPS,),
                                                         (dx, dout, x, w, mean, rstd) + sizes)
    dev.kernel("layernorm", "layernorm_param_backward_kernel")((blocks(C, 256),), (256,),
                                                               (dw, db, dout, x, mean, rstd) + sizes)
    return dx, dw, db
