"""Launches for cuda/int8.cu (chapter 07), shared by the cuda and emu backends.
The checks are in the declarations (pystory/int8.py).

linear_forward_int8 is two launches: quantize x into scratch (int8 rows and
their scales), then the product, `version=` "naive" (a thread per output) or
"dp4a" (a warp per output, four bytes per __dp4a).
"""
import numpy as np

from pystory.gpu import blocks

__all__ = ["quantize_int8", "dequantize_int8", "linear_forward_int8"]

QT = 256          # threads per row of quantize_int8_kernel
DP4A_WARPS = 4    # outputs per block of linear_int8_dp4a_kernel
MAX_GRID_Y = 65535


def _address(a):
    return a.data.ptr if hasattr(a, "data") and hasattr(a.data, "ptr") else a.ctypes.data


def _quantize(dev, q, scale, x, R, C):
    if R:
        dev.kernel("int8", "quantize_int8_kernel")((R,), (QT,), (q, scale, x, np.int32(R), np.int32(C)))


def quantize_int8(dev, x, C):
    # x: (..., C) float32 -> q: (..., C) int8, scale: (...)
    q = dev.xp.empty(x.shape, np.int8)
    scale = dev.xp.empty(x.shape[:-1], np.float32)
    _quantize(dev, q, scale, x, scale.size, C)
    return q, scale


def dequantize_int8(dev, q, scale, C):
    # q: (..., C) int8, scale: (...) -> out: (..., C) float32; one thread per value
    out = dev.xp.empty(q.shape, np.float32)
    if out.size:
        dev.kernel("int8", "dequantize_int8_kernel")((blocks(out.size, 256),), (256,),
                                                    (out, q, scale, np.int32(scale.size), np.int32(C)))
    return out


def linear_forward_int8(dev, x, wq, scale, b, version, C, OC):
    # x: (..., C), wq: (OC, C) int8, scale: (OC,), b: (OC,) or None -> out: (..., OC)
    out = dev.xp.empty(x.shape[:-1] + (OC,), np.float32)
    N = out.size // OC if OC else 0
    if N == 0:
        return out
    xq = dev.xp.empty((N, C), np.int8)                 # scratch: x quantized row by row
    sx = dev.xp.empty(N, np.float32)
    _quantize(dev, xq, sx, x, N, C)
    has_bias = b is not None
    args = (out, xq, sx, wq, scale, b if has_bias else scale, np.int32(has_bias),
            np.int32(N), np.int32(C), np.int32(OC))
    grid_y = min(N, MAX_GRID_Y)
    if version == "naive":
        dev.kernel("int8", "linear_int8_naive_kernel")((blocks(OC, 256), grid_y), (256,), args)
    else:
        aligned = C % 4 == 0 and _address(xq) % 4 == 0 and _address(wq) % 4 == 0
        dev.kernel("int8", "linear_int8_dp4a_kernel")((blocks(OC, DP4A_WARPS), grid_y), (32 * DP4A_WARPS,),
                                                     args + (np.int32(aligned),))
    return out
