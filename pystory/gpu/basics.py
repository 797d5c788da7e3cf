"""Launches for cuda/basics.cu (chapter 00), shared by the cuda and emu backends."""
import numpy as np

from pystory.check import check_scalar
from pystory.gpu import blocks

__all__ = ["axpy", "rowsum"]

ROWSUM_VERSIONS = ("naive", "warp", "block")


def axpy(dev, a, x, y):
    # x, y: (N,) float32 -> out: (N,)
    a = check_scalar("axpy", "a", a)
    dev.check("axpy", "x", x, np.float32, ndim=1)
    dev.check("axpy", "y", y, np.float32, shape=x.shape)
    out = dev.xp.empty_like(y)
    n = x.size
    if n == 0:
        return out  # a grid of zero blocks is an error in CUDA
    threads = 256
    dev.kernel("basics", "axpy_kernel")((blocks(n, threads),), (threads,),
                                        (out, np.float32(a), x, y, np.int32(n)))
    return out


def rowsum(dev, x, version="block"):
    # x: (R, C) float32 -> out: (R,); version: one of ROWSUM_VERSIONS
    dev.check("rowsum", "x", x, np.float32, ndim=2)
    if version not in ROWSUM_VERSIONS:
        raise ValueError(f"rowsum: version must be one of {ROWSUM_VERSIONS}, got {version!r}")
    R, C = x.shape
    out = dev.xp.zeros(R, dtype=np.float32)
    if R == 0:
        return out
    args = (out, x, np.int32(R), np.int32(C))
    if version == "naive":
        threads = 128
        dev.kernel("basics", "rowsum_naive_kernel")((blocks(R, threads),), (threads,), args)
    elif version == "warp":
        warps_per_block = 4
        dev.kernel("basics", "rowsum_warp_kernel")((blocks(R, warps_per_block),), (32 * warps_per_block,), args)
    else:
        threads = 256
        dev.kernel("basics", "rowsum_block_kernel")((R,), (threads,), args,
                                                    shared_mem=threads * 4)
    return out
