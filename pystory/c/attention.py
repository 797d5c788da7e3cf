"""C backend bindings for chapter 03 (csrc/attention.c); checks: pystory/attention.py.
The caches are the NumPy reference's tuples; C has one softmax, whichever `version` is asked for."""
import numpy as np

from pystory.c import ext, ptr


def softmax_forward(x, N):
    # x: (..., N) float32 -> y: (..., N), row by row
    y = np.empty_like(x)
    ext().lib.softmax_forward(ptr(y), ptr(x), x.size // N, N)
    return y


def softmax_backward(dy, y, N):
    # dy, y: (..., N) float32 -> dx: (..., N)
    dx = np.empty_like(y)
    ext().lib.softmax_backward(ptr(dx), ptr(dy), ptr(y), y.size // N, N)
    return dx


def attention_forward_naive(qkv, n_head, B, T, C):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, att)
    out = np.empty((B, T, C), np.float32)
    att = np.empty((B, n_head, T, T), np.float32)
    ext().lib.attention_forward_naive(ptr(out), ptr(att), ptr(qkv), B, T, C, n_head)
    return out, (qkv, n_head, att)


def attention_backward_naive(dout, cache, B, T, C):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    qkv, n_head, att = cache
    dqkv = np.empty_like(qkv)
    datt = np.empty((B, n_head, T, T), np.float32)  # scratch: dS, materialized like att
    ext().lib.attention_backward_naive(ptr(dqkv), ptr(datt), ptr(dout), ptr(qkv), ptr(att), B, T, C, n_head)
    return dqkv


def attention_forward_flash(qkv, n_head, B, T, C):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, out, lse)
    out = np.empty((B, T, C), np.float32)
    lse = np.empty((B, n_head, T), np.float32)
    ext().lib.attention_forward_flash(ptr(out), ptr(lse), ptr(qkv), B, T, C, n_head)
    return out, (qkv, n_head, out, lse)


def attention_backward_flash(dout, cache, B, T, C):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    qkv, n_head, out, lse = cache
    dqkv = np.empty_like(qkv)
    ext().lib.attention_backward_flash(ptr(dqkv), ptr(dout), ptr(qkv), ptr(out), ptr(lse), B, T, C, n_head)
    return dqkv
