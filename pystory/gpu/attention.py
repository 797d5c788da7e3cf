"""Launches for cuda/attention.cu (chapter 03), shared by the cuda and emu backends.

Caches have the same structure as the NumPy reference's, with device arrays:
naive (qkv, n_head, att), flash (qkv, n_head, out, lse).
"""
import numpy as np

from pystory.attention import check_naive_size, qkv_sizes, unpack_cache
from pystory.gpu import blocks

__all__ = ["softmax_forward", "softmax_backward",
           "attention_forward_naive", "attention_backward_naive",
           "attention_forward_flash", "attention_backward_flash"]

SOFTMAX_VERSIONS = ("naive", "warp", "online")
FLASH_HEAD_SIZES = (16, 32, 64, 128)   # the template instances in cuda/attention.cu
FLASH_THREADS = 128                    # 4 warps: Flash<HS>::WARPS * 32
FLOAT = 4


def _flash_rows(hs):
    # Flash<HS>::BR: rows per block (4 warps x ROWS rows)
    return 4 * (2 if hs >= 128 else 4)


def _flash_shared(hs, kernel):
    # bytes of dynamic shared memory, mirroring the layouts in cuda/attention.cu
    br, ld, bc = _flash_rows(hs), 33, 32
    if kernel == "forward":
        return FLOAT * (br * hs + 2 * hs * ld)
    if kernel == "dq":
        return FLOAT * (2 * br * hs + 2 * hs * ld)
    return FLOAT * (2 * br * hs + 2 * hs * ld + 2 * bc)   # dkv


def _rows(op, dev, x, name):
    if x.ndim == 0:
        raise ValueError(f"{op}: argument '{name}' must have at least 1 dimension, got a scalar")
    N = x.shape[-1]
    return (x.size // N if N else 0), N


def softmax_forward(dev, x, version="online"):
    # x: (..., N) float32 -> y: (..., N); version: one of SOFTMAX_VERSIONS
    op = "softmax_forward"
    dev.check(op, "x", x, np.float32)
    if version not in SOFTMAX_VERSIONS:
        raise ValueError(f"{op}: version must be one of {SOFTMAX_VERSIONS}, got {version!r}")
    R, N = _rows(op, dev, x, "x")
    y = dev.xp.empty_like(x)
    if x.size == 0:
        return y
    args = (y, x, np.int32(R), np.int32(N))
    if version == "naive":
        threads = 128
        dev.kernel("attention", "softmax_forward_naive_kernel")((blocks(R, threads),), (threads,), args)
    elif version == "warp":
        warps = 4
        dev.kernel("attention", "softmax_forward_warp_kernel")((blocks(R, warps),), (32 * warps,), args)
    else:
        threads = 256 if N > 1024 else 128
        dev.kernel("attention", "softmax_forward_online_kernel")((R,), (threads,), args)
    return y


def softmax_backward(dev, dy, y):
    # dy, y: (..., N) float32 -> dx: (..., N)
    op = "softmax_backward"
    dev.check(op, "y", y, np.float32)
    dev.check(op, "dy", dy, np.float32, shape=y.shape)
    R, N = _rows(op, dev, y, "y")
    dx = dev.xp.empty_like(y)
    if y.size == 0:
        return dx
    warps = 4
    dev.kernel("attention", "softmax_backward_kernel")((blocks(R, warps),), (32 * warps,),
                                                       (dx, dy, y, np.int32(R), np.int32(N)))
    return dx


def _check_qkv(op, dev, qkv, n_head, *, square=False, flash=False):
    dev.check(op, "qkv", qkv, np.float32, ndim=3)
    B, T, C, NH, hs = qkv_sizes(op, qkv.shape, n_head)
    if square:
        check_naive_size(op, B, NH, T)
    if flash and hs not in FLASH_HEAD_SIZES:
        raise ValueError(f"{op}: head size C / n_head = {hs} is not supported by the CUDA flash kernel "
                         f"(one of {FLASH_HEAD_SIZES}); use attention_forward_naive")
    return B, T, C, NH, hs


def _sizes(B, T, C, NH):
    return np.int32(B), np.int32(T), np.int32(C), np.int32(NH)


def attention_forward_naive(dev, qkv, n_head):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, att)
    op = "attention_forward_naive"
    B, T, C, NH, hs = _check_qkv(op, dev, qkv, n_head, square=True)
    out = dev.xp.empty((B, T, C), np.float32)
    att = dev.xp.empty((B, NH, T, T), np.float32)
    if out.size == 0:
        return out, (qkv, NH, att)
    threads = 256
    sizes = _sizes(B, T, C, NH)
    scores = dev.xp.empty((B, NH, T, T), np.float32)   # freed on return; att is kept
    dev.kernel("attention", "attention_forward_naive_scores_kernel")(
        (blocks(att.size, threads),), (threads,), (scores, qkv) + sizes)
    rows, warps = B * NH * T, 4      # the softmax of every row: the warp version
    dev.kernel("attention", "softmax_forward_warp_kernel")(
        (blocks(rows, warps),), (32 * warps,), (att, scores, np.int32(rows), np.int32(T)))
    dev.kernel("attention", "attention_forward_naive_values_kernel")(
        (blocks(out.size, threads),), (threads,), (out, att, qkv) + sizes)
    return out, (qkv, NH, att)


def attention_backward_naive(dev, dout, cache):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    op = "attention_backward_naive"
    qkv, NH, att = unpack_cache(op, cache, 3)
    B, T, C, NH, hs = _check_qkv(op, dev, qkv, NH, square=True)
    dev.check(op, "dout", dout, np.float32, shape=(B, T, C))
    dev.check(op, "att", att, np.float32, shape=(B, NH, T, T))
    dqkv = dev.xp.empty_like(qkv)
    if dqkv.size == 0:
        return dqkv
    threads, warps = 256, 4
    sizes = _sizes(B, T, C, NH)
    datt = dev.xp.empty((B, NH, T, T), np.float32)
    dscores = dev.xp.empty((B, NH, T, T), np.float32)
    dev.kernel("attention", "attention_backward_naive_datt_kernel")(
        (blocks(datt.size, threads),), (threads,), (datt, dout, qkv) + sizes)
    dev.kernel("attention", "attention_backward_naive_dv_kernel")(
        (blocks(dout.size, threads),), (threads,), (dqkv, dout, att) + sizes)
    rows = B * NH * T
    dev.kernel("attention", "softmax_backward_kernel")(
        (blocks(rows, warps),), (32 * warps,), (dscores, datt, att, np.int32(rows), np.int32(T)))
    dscores *= np.float32(1.0 / np.sqrt(hs))   # S = scale * Q K^T
    dev.kernel("attention", "attention_backward_naive_dqk_kernel")(
        (blocks(dout.size, threads),), (threads,), (dqkv, dscores, qkv) + sizes)
    return dqkv


def attention_forward_flash(dev, qkv, n_head):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, out, lse)
    op = "attention_forward_flash"
    B, T, C, NH, hs = _check_qkv(op, dev, qkv, n_head, flash=True)
    out = dev.xp.empty((B, T, C), np.float32)
    lse = dev.xp.empty((B, NH, T), np.float32)
    if out.size == 0:
        return out, (qkv, NH, out, lse)
    grid = B * NH * blocks(T, _flash_rows(hs))
    dev.kernel("attention", f"attention_forward_flash_hs{hs}_kernel")(
        (grid,), (FLASH_THREADS,), (out, lse, qkv) + _sizes(B, T, C, NH),
        shared_mem=_flash_shared(hs, "forward"))
    return out, (qkv, NH, out, lse)


def attention_backward_flash(dev, dout, cache):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    op = "attention_backward_flash"
    qkv, NH, out, lse = unpack_cache(op, cache, 4)
    B, T, C, NH, hs = _check_qkv(op, dev, qkv, NH, flash=True)
    dev.check(op, "dout", dout, np.float32, shape=(B, T, C))
    dev.check(op, "out", out, np.float32, shape=(B, T, C))
    dev.check(op, "lse", lse, np.float32, shape=(B, NH, T))
    dqkv = dev.xp.empty_like(qkv)
    if dqkv.size == 0:
        return dqkv
    sizes = _sizes(B, T, C, NH)
    D = dev.xp.empty((B, NH, T), np.float32)
    warps = 4
    dev.kernel("attention", "attention_backward_flash_d_kernel")(
        (blocks(B * T * NH, warps),), (32 * warps,), (D, dout, out) + sizes)
    grid = B * NH * blocks(T, _flash_rows(hs))
    dev.kernel("attention", f"attention_backward_flash_dq_hs{hs}_kernel")(
        (grid,), (FLASH_THREADS,), (dqkv, dout, qkv, lse, D) + sizes, shared_mem=_flash_shared(hs, "dq"))
    dev.kernel("attention", f"attention_backward_flash_dkv_hs{hs}_kernel")(
        (grid,), (FLASH_THREADS,), (dqkv, dout, qkv, lse, D) + sizes, shared_mem=_flash_shared(hs, "dkv"))
    return dqkv
