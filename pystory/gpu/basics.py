"""Launches of cuda/basics.cu (chapter 00) for the cuda and emu backends; checks: pystory/basics.py."""
import numpy as np

from pystory.gpu import blocks


def axpy(dev, a, x, y):
    # x, y: (N,) float32 -> out: (N,); one thread per element
    out = dev.xp.empty_like(y)
    dev.kernel("basics", "axpy_kernel")((blocks(x.size, 256),), (256,), (out, np.float32(a), x, y, np.int32(x.size)))
    return out


def rowsum(dev, x, version, R, C):
    # x: (R, C) float32 -> out: (R,); version: "naive" (a thread per row), "warp" (a warp per row), "block"
    out = dev.xp.zeros(R, dtype=np.float32)
    args = (out, x, np.int32(R), np.int32(C))
    if version == "naive":
        dev.kernel("basics", "rowsum_naive_kernel")((blocks(R, 128),), (128,), args)
    elif version == "warp":
        dev.kernel("basics", "rowsum_warp_kernel")((blocks(R, 4),), (32 * 4,), args)   # 4 warps a block
    else:
        dev.kernel("basics", "rowsum_block_kernel")((R,), (256,), args, shared_mem=256 * 4)
    return out
