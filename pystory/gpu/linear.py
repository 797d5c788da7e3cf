"""Launches of cuda/linear.cu (chapters 06 and 04) for the cuda and emu backends; checks: pystory/linear.py.

Every product of the layer is one launch of a matmul kernel (`version`: naive, tiled,
regblock), out = A @ B (+ bias), with A and B read through strides (see cuda/linear.cu):
    forward   out = x @ w.T + b
    backward  dx = dout @ w,  dw = dout.T @ x,  db = column sums of dout
"""
import numpy as np

from pystory.gpu import blocks

BM = BN = 128   # regblock's tile of out (cuda/linear.cu)
TILE = 16       # tiled's tile


def _address(a):
    return a.data.ptr if hasattr(a, "data") and hasattr(a.data, "ptr") else a.ctypes.data


def _vector_mode(x, sk, sc, Kdim, Cdim):
    """How load_tile may read X(k, c) = x[k*sk + c*sc]: 1 = float4 along c,
    2 = float4 along k, 0 = one float at a time. float4 needs the 4 values
    contiguous, every row start a multiple of 4 floats and a 16-byte aligned base."""
    if _address(x) % 16:
        return 0
    if sc == 1 and sk % 4 == 0 and Cdim % 4 == 0:
        return 1
    if sk == 1 and sc % 4 == 0 and Kdim % 4 == 0:
        return 2
    return 0


def matmul(dev, out, a, sam, sak, b, sbk, sbn, M, N, K, bias=None, version="regblock"):
    """out[M, N] = A @ B (+ bias): A(i, k) = a[i*sam + k*sak], B(k, j) = b[k*sbk + j*sbn]."""
    has_bias = bias is not None
    bias_arg = bias if has_bias else out  # never read when has_bias == 0
    args = (out, a, b, bias_arg, np.int32(has_bias), np.int32(M), np.int32(N), np.int32(K),
            np.int32(sam), np.int32(sak), np.int32(sbk), np.int32(sbn))
    if version == "naive":
        dev.kernel("linear", "matmul_naive_kernel")((blocks(N, 16), blocks(M, 16)), (16, 16), args)
    elif version == "tiled":
        dev.kernel("linear", "matmul_tiled_kernel")((blocks(N, TILE), blocks(M, TILE)), (TILE, TILE), args)
    else:
        # A is read as X(k, i) = a[k*sak + i*sam], B as X(k, j) = b[k*sbk + j*sbn]
        mode_a = _vector_mode(a, sak, sam, K, M)
        mode_b = _vector_mode(b, sbk, sbn, K, N)
        dev.kernel("linear", "matmul_regblock_kernel")(
            (blocks(N, BN), blocks(M, BM)), (256,), args + (np.int32(mode_a), np.int32(mode_b)))
    return out


def linear_forward(dev, x, w, b, version, C, OC):
    # x: (..., C), w: (OC, C), b: (OC,) or None -> out: (..., OC)
    out = dev.xp.empty(x.shape[:-1] + (OC,), dtype=np.float32)
    if out.size and C == 0:  # an empty sum: just the bias
        out[...] = b if b is not None else 0
        return out
    # A = x (sam=C, sak=1); B = w.T (sbk=1, sbn=C)
    N = out.size // OC if OC else 0
    return matmul(dev, out, x, C, 1, w, 1, C, N, OC, C, bias=b, version=version)


def linear_backward(dev, dout, x, w, version, C, OC):
    # dout: (..., OC), x: (..., C), w: (OC, C) -> dx: (..., C), dw: (OC, C), db: (OC,)
    dx = dev.xp.zeros(x.shape, dtype=np.float32)
    dw = dev.xp.zeros((OC, C), dtype=np.float32)
    db = dev.xp.zeros(OC, dtype=np.float32)
    N = dout.size // OC if OC else 0
    # dx = dout @ w: A = dout (sam=OC, sak=1), B = w (sbk=C, sbn=1)
    matmul(dev, dx, dout, OC, 1, w, C, 1, N, C, OC, version=version)
    # dw = dout.T @ x: A(o, n) = dout[n*OC + o] (sam=1, sak=OC), B = x (sbk=C, sbn=1)
    matmul(dev, dw, dout, 1, OC, x, C, 1, OC, C, N, version=version)
    dev.kernel("linear", "linear_bias_backward_kernel")((blocks(OC, 256),), (256,),
                                                        (db, dout, np.int32(N), np.int32(OC)))
    return dx, dw, db
