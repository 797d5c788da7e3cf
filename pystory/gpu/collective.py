"""Launches of cuda/collective.cu (chapter 08) for the cuda and emu backends; checks: pystory/collective.py."""
import numpy as np

from pystory.gpu import blocks


def sum_ranks(dev, x, scale, N, S):
    # x: (N, S) float32 -> out: (S,); one thread per element
    out = dev.xp.empty(S, dtype=np.float32)
    dev.kernel("collective", "sum_ranks_kernel")((blocks(S, 256),), (256,),
                                                 (out, x, np.float32(scale), np.int32(N), np.int32(S)))
    return out


def accumulate(dev, acc, g):
    # acc, g: (P,) float32; acc += g in place -> None
    dev.kernel("collective", "accumulate_kernel")((blocks(acc.size, 256),), (256,), (acc, g, np.int32(acc.size)))
