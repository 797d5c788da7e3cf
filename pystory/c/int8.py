"""C backend bindings for chapter 07's int8 layer (csrc/int8.c); the checks are in the declarations
(pystory/int8.py)."""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["quantize_int8", "dequantize_int8", "linear_forward_int8"]

SIMD_PATHS = {0: "portable C", 1: "AVX2", 2: "AVX-512 VNNI", 3: "AVX-VNNI"}


def simd_path():
    """Which int8 dot product this build of the extension uses (see csrc/int8.c)."""
    return SIMD_PATHS[ext().lib.int8_simd_path()]


def quantize_int8(x, C):
    # x: (..., C) float32 -> q: (..., C) int8, scale: (...)
    q = np.empty(x.shape, np.int8)
    scale = np.empty(x.shape[:-1], np.float32)
    R = scale.size
    if R:
        ext().lib.quantize_int8(ptr(q), ptr(scale), ptr(x), R, C)
    return q, scale


def dequantize_int8(q, scale, C):
    # q: (..., C) int8, scale: (...) -> out: (..., C) float32
    out = np.empty(q.shape, np.float32)
    if out.size:
        ext().lib.dequantize_int8(ptr(out), ptr(q), ptr(scale), scale.size, C)
    return out


def linear_forward_int8(x, wq, scale, b, C, OC):
    # x: (..., C), wq: (OC, C) int8, scale: (OC,), b: (OC,) or None -> out: (..., OC); one C version
    out = np.empty(x.shape[:-1] + (OC,), np.float32)
    N = out.size // OC if OC else 0
    if out.size:
        ext().lib.linear_forward_int8(ptr(out), ptr(x), ptr(wq), ptr(scale), ptr(b), N, C, OC)
    return out
