"""C backend bindings for chapter 02's Philox generator (csrc/philox.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array
from pystory.philox import _check_range, _check_seed_offset

__all__ = ["philox4x32_10", "philox_uniform", "philox_normal", "philox_randint"]


def philox4x32_10(ctr, key):
    # ctr: (N, 4) uint32, key: (N, 2) uint32 -> out: (N, 4) uint32
    check_array("philox4x32_10", "ctr", ctr, np.uint32, shape=(None, 4))
    check_array("philox4x32_10", "key", key, np.uint32, shape=(ctr.shape[0], 2))
    out = np.empty_like(ctr)
    ext().lib.philox4x32_10(ptr(out), ptr(ctr), ptr(key), ctr.shape[0])
    return out


def philox_uniform(seed, offset, n):
    # -> (n,) float32 in [0, 1)
    seed, offset, n = _check_seed_offset("philox_uniform", seed, offset, n)
    out = np.empty(n, np.float32)
    ext().lib.philox_uniform(ptr(out), seed, offset, n)
    return out


def philox_normal(seed, offset, n):
    # -> (n,) float32, standard normal
    seed, offset, n = _check_seed_offset("philox_normal", seed, offset, n)
    out = np.empty(n, np.float32)
    ext().lib.philox_normal(ptr(out), seed, offset, n)
    return out


def philox_randint(seed, offset, n, low, high):
    # -> (n,) int32 in [low, high)
    seed, offset, n = _check_seed_offset("philox_randint", seed, offset, n)
    low, high = _check_range("philox_randint", low, high)
    out = np.empty(n, np.int32)
    ext().lib.philox_randint(ptr(out), seed, offset, n, low, high)
    return out
