"""C backend bindings for chapter 02's Philox generator (csrc/philox.c); checks: pystory/philox.py."""
import numpy as np

from pystory.c import ext, ptr


def philox4x32_10(ctr, key, N):
    # ctr: (N, 4) uint32, key: (N, 2) uint32 -> out: (N, 4) uint32
    out = np.empty_like(ctr)
    ext().lib.philox4x32_10(ptr(out), ptr(ctr), ptr(key), N)
    return out


def philox_uniform(seed, offset, n):
    # -> (n,) float32 in [0, 1)
    out = np.empty(n, np.float32)
    ext().lib.philox_uniform(ptr(out), seed, offset, n)
    return out


def philox_normal(seed, offset, n):
    # -> (n,) float32, standard normal
    out = np.empty(n, np.float32)
    ext().lib.philox_normal(ptr(out), seed, offset, n)
    return out


def philox_randint(seed, offset, n, low, high):
    # -> (n,) int32 in [low, high)
    out = np.empty(n, np.int32)
    ext().lib.philox_randint(ptr(out), seed, offset, n, low, high)
    return out
