"""Launches of cuda/philox.cu (chapter 02) for the cuda and emu backends; checks: pystory/philox.py."""
import numpy as np

from pystory.gpu import blocks

THREADS = 256


def philox4x32_10(dev, ctr, key, N):
    # ctr: (N, 4) uint32, key: (N, 2) uint32 -> out: (N, 4) uint32; one thread per counter
    out = dev.xp.empty_like(ctr)
    dev.kernel("philox", "philox4x32_10_kernel")((blocks(N, THREADS),), (THREADS,), (out, ctr, key, np.int32(N)))
    return out


def _launch(dev, name, out, seed, offset, n, *extra):
    # One thread per counter block of 4 words covering words offset .. offset+n-1;
    # the 64-bit seed and offset travel as (lo, hi) 32-bit halves.
    nblocks = (offset + n + 3) // 4 - offset // 4 if n else 0
    halves = tuple(np.uint32(v) for v in (seed & 0xFFFFFFFF, seed >> 32, offset & 0xFFFFFFFF, offset >> 32))
    dev.kernel("philox", name)((blocks(nblocks, THREADS),), (THREADS,),
                               (out, *halves, np.int32(n), np.int32(nblocks), *extra))
    return out


def philox_uniform(dev, seed, offset, n):
    # -> (n,) float32 in [0, 1)
    return _launch(dev, "philox_uniform_kernel", dev.xp.empty(n, np.float32), seed, offset, n)


def philox_normal(dev, seed, offset, n):
    # -> (n,) float32, standard normal
    return _launch(dev, "philox_normal_kernel", dev.xp.empty(n, np.float32), seed, offset, n)


def philox_randint(dev, seed, offset, n, low, high):
    # -> (n,) int32 in [low, high)
    return _launch(dev, "philox_randint_kernel", dev.xp.empty(n, np.int32), seed, offset, n,
                   np.int32(low), np.uint32(high - low))
