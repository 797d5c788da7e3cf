"""Chapter 07: int8 weights — quantize, dequantize, and a linear layer that multiplies in integers.

Symmetric absmax quantization, one scale per row (per output channel of a
weight matrix, per position of an activation):

    amax     = max_c |x[c]|
    scale    = amax / 127                       (0 for an all-zero row)
    q[c]     = round(x[c] * (127 / amax))       an integer in [-127, 127]
    x̂[c]     = q[c] * scale                     dequantized: |x - x̂| <= scale / 2

127, not 128: the grid is symmetric, so -x quantizes to -q, zero is exact,
and no value is ever -128 (the C code's sign trick below needs that).
Rounding is to nearest, ties to even (np.rint, C's nearbyintf, CUDA's
__float2int_rn), and 127 / amax is one float32 division in all three, so the
three implementations give the same integers bit for bit.

linear_forward_int8(x, wq, scale, b): out = x @ ŵ.T + b with ŵ the
dequantized weights, computed the way int8 hardware wants it. Each row of x
is quantized on the fly (its own scale sx[n]), the products are int8 x int8
summed in int32 — exact, whatever the order — and only the result is scaled:

    acc[n, o] = sum_c xq[n, c] * wq[o, c]            int32, exact
    out[n, o] = float(acc[n, o]) * (sx[n] * scale[o]) + b[o]

So the op reads 1 byte per weight instead of 4, and every multiply-add is an
integer one: AVX2's vpmaddubsw / AVX-512 VNNI's vpdpbusd in C, __dp4a in
CUDA. Weights are stored int8; activations are int8 only inside the op.
"""
import numpy as np

from pystory.declare import array, choice, declare, float32, int8

__all__ = ["quantize_int8", "dequantize_int8", "linear_forward_int8"]

QMAX = 127


@declare(x=array(float32, "(..., C)"), returns="q int8 (..., C), scale (...)")
def quantize_int8(x):
    # x: (..., C) -> q: (..., C) int8 in [-127, 127], scale: (...) with x ≈ q * scale[..., None]
    dt = x.dtype
    amax = np.abs(x).max(axis=-1, initial=0).astype(dt)                       # (...)
    safe = np.where(amax > 0, amax, dt.type(1))
    inv = np.where(amax > 0, dt.type(QMAX) / safe, dt.type(0)).astype(dt)     # 127 / amax, or 0
    with np.errstate(invalid="ignore"):                                       # inf * 0 for an inf input
        v = np.nan_to_num(x * inv[..., None], nan=0.0)                        # NaN -> 0, as C and CUDA do
    q = np.clip(np.rint(v), -QMAX, QMAX).astype(np.int8)
    return q, (amax / dt.type(QMAX)).astype(dt)


@declare(q=array(int8, "(..., C) in [-127, 127]"), scale=array(float32, "(...)"), returns="out (..., C)")
def dequantize_int8(q, scale):
    # q: (..., C) int8, scale: (...) -> out: (..., C) = q * scale
    return q.astype(scale.dtype) * scale[..., None]


@declare(x=array(float32, "(..., C)"), wq=array(int8, "(OC, C) in [-127, 127]"), scale=array(float32, "(OC,)"),
         b=array(float32, "(OC,)", optional=True), version=choice("naive", "dp4a", default="dp4a"),
         returns="out (..., OC)")
def linear_forward_int8(x, wq, scale, b):
    # x: (..., C) float, wq: (OC, C) int8, scale: (OC,), b: (OC,) or None -> out: (..., OC)
    dt = x.dtype
    xq, sx = quantize_int8(x)                                          # (..., C) int8, (...)
    # The int32 sums, exactly: float64 represents every |acc| <= 127 * 127 * C < 2^53,
    # so BLAS's float64 product is exact and much faster than NumPy's integer matmul.
    acc = xq.astype(np.float64) @ wq.astype(np.float64).T              # (..., OC)
    with np.errstate(invalid="ignore"):                                # 0 * inf: a row with an inf
        out = acc.astype(dt) * (sx[..., None] * scale.astype(dt))      # float(acc) * (sx[n] * scale[o])
    if b is not None:
        out = out + b.astype(dt)
    return out.astype(dt)
