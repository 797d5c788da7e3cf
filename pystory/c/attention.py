"""C backend bindings for chapter 03 (csrc/attention.c).

Caches are the same tuples as the NumPy reference's, so the two backends'
caches are interchangeable: naive (qkv, n_head, att), flash (qkv, n_head, out, lse).
"""
import numpy as np

from pystory.attention import check_naive_size, qkv_sizes, unpack_cache
from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array

__all__ = ["softmax_forward", "softmax_backward",
           "attention_forward_naive", "attention_backward_naive",
           "attention_forward_flash", "attention_backward_flash"]

HS_MAX = 256  # csrc/attention.c keeps one head's tiles on the stack


def _rows(a):
    # (..., N) -> (R, N) sizes for the row-wise C functions
    N = a.shape[-1] if a.ndim else 1
    return (a.size // N if N else 0), N


def softmax_forward(x):
    # x: (..., N) float32 -> y: (..., N)
    check_array("softmax_forward", "x", x, np.float32)
    if x.ndim == 0:
        raise ValueError("softmax_forward: argument 'x' must have at least 1 dimension, got a scalar")
    y = np.empty_like(x)
    R, N = _rows(x)
    if x.size:
        ext().lib.softmax_forward(ptr(y), ptr(x), R, N)
    return y


def softmax_backward(dy, y):
    # dy, y: (..., N) float32 -> dx: (..., N)
    check_array("softmax_backward", "y", y, np.float32)
    check_array("softmax_backward", "dy", dy, np.float32, shape=y.shape)
    if y.ndim == 0:
        raise ValueError("softmax_backward: argument 'y' must have at least 1 dimension, got a scalar")
    dx = np.empty_like(y)
    R, N = _rows(y)
    if y.size:
        ext().lib.softmax_backward(ptr(dx), ptr(dy), ptr(y), R, N)
    return dx


def _check_qkv(op, qkv, n_head, *, square=False):
    check_array(op, "qkv", qkv, np.float32, ndim=3)
    B, T, C, NH, hs = qkv_sizes(op, qkv.shape, n_head)
    if hs > HS_MAX:
        raise ValueError(f"{op}: head size C / n_head = {hs} is larger than the C kernels support ({HS_MAX})")
    if square:
        check_naive_size(op, B, NH, T)
    return B, T, C, NH, hs


def attention_forward_naive(qkv, n_head):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, att)
    op = "attention_forward_naive"
    B, T, C, NH, hs = _check_qkv(op, qkv, n_head, square=True)
    out = np.empty((B, T, C), np.float32)
    att = np.empty((B, NH, T, T), np.float32)
    if out.size:
        ext().lib.attention_forward_naive(ptr(out), ptr(att), ptr(qkv), B, T, C, NH)
    return out, (qkv, NH, att)


def attention_backward_naive(dout, cache):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    op = "attention_backward_naive"
    qkv, NH, att = unpack_cache(op, cache, 3)
    B, T, C, NH, hs = _check_qkv(op, qkv, NH, square=True)
    check_array(op, "dout", dout, np.float32, shape=(B, T, C))
    check_array(op, "att", att, np.float32, shape=(B, NH, T, T))
    dqkv = np.empty_like(qkv)
    datt = np.empty((B, NH, T, T), np.float32)  # scratch: dS, materialized like att
    if dqkv.size:
        ext().lib.attention_backward_naive(ptr(dqkv), ptr(datt), ptr(dout), ptr(qkv), ptr(att), B, T, C, NH)
    return dqkv


def attention_forward_flash(qkv, n_head):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, out, lse)
    op = "attention_forward_flash"
    B, T, C, NH, hs = _check_qkv(op, qkv, n_head)
    out = np.empty((B, T, C), np.float32)
    lse = np.empty((B, NH, T), np.float32)
    if out.size:
        ext().lib.attention_forward_flash(ptr(out), ptr(lse), ptr(qkv), B, T, C, NH)
    return out, (qkv, NH, out, lse)


def attention_backward_flash(dout, cache):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    op = "attention_backward_flash"
    qkv, NH, out, lse = unpack_cache(op, cache, 4)
    B, T, C, NH, hs = _check_qkv(op, qkv, NH)
    check_array(op, "dout", dout, np.float32, shape=(B, T, C))
    check_array(op, "out", out, np.float32, shape=(B, T, C))
    check_array(op, "lse", lse, np.float32, shape=(B, NH, T))
    dqkv = np.empty_like(qkv)
    if dqkv.size:
        ext().lib.attention_backward_flash(ptr(dqkv), ptr(dout), ptr(qkv), ptr(out), ptr(lse), B, T, C, NH)
    return dqkv
