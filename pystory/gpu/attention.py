"""Launches for cuda/attention.cu (chapter 03), shared by the cuda and emu backends.

Caches have the same structure as the NumPy reference's, with device arrays:
naive (qkv, n_head, att), flash (qkv, n_head, out, lse). The checks are in the
declarations (pystory/attention.py).
"""
import numpy as np

from pystory.gpu import blocks

__all__ = ["softmax_forward", "softmax_backward",
           "attention_forward_naive", "attention_backward_naive",
           "attention_forward_flash", "attention_backward_flash"]

FLASH_INSTANCES = (16, 32, 64, 128, 256)   # Flash<HS_MAX> in cuda/attention.cu; a head runs on the next one up
FLASH_THREADS = 128                        # 4 warps: Flash<HS_MAX>::WARPS * 32
BLOCK_K, LD = 32, 33                       # Flash<HS_MAX>::BLOCK_K, ::LD


def _flash(hs):
    """(instance, BLOCK_Q, shared bytes of the forward, dq and dkv kernels) for head size hs,
    mirroring Flash<HS_MAX> and the shared-memory layouts in cuda/attention.cu."""
    inst = next(i for i in FLASH_INSTANCES if i >= hs)
    block_q = 4 * (1 if inst >= 256 else 2 if inst >= 128 else 4)
    tile = hs * LD                                          # the one transposed tile Xt[hs][LD]
    return inst, block_q, 4 * (block_q * hs + tile), 4 * (2 * block_q * hs + tile), \
        4 * (2 * block_q * hs + tile + 2 * BLOCK_K)


def softmax_forward(dev, x, version, N):
    # x: (..., N) float32 -> y: (..., N); version: a thread, a warp or a block (online) per row
    y = dev.xp.empty_like(x)
    R = x.size // N
    if R == 0:
        return y
    args = (y, x, np.int32(R), np.int32(N))
    if version == "naive":
        dev.kernel("attention", "softmax_forward_naive_kernel")((blocks(R, 128),), (128,), args)
    elif version == "warp":
        dev.kernel("attention", "softmax_forward_warp_kernel")((blocks(R, 4),), (32 * 4,), args)  # 4 warps a block
    else:
        threads = 256 if N > 1024 else 128
        dev.kernel("attention", "softmax_forward_online_kernel")((R,), (threads,), args)
    return y


def softmax_backward(dev, dy, y, N):
    # dy, y: (..., N) float32 -> dx: (..., N); one warp per row
    dx = dev.xp.empty_like(y)
    R = y.size // N
    if R == 0:
        return dx
    warps = 4
    dev.kernel("attention", "softmax_backward_kernel")((blocks(R, warps),), (32 * warps,),
                                                       (dx, dy, y, np.int32(R), np.int32(N)))
    return dx


def _sizes(B, T, C, NH):
    return np.int32(B), np.int32(T), np.int32(C), np.int32(NH)


def attention_forward_naive(dev, qkv, n_head, B, T, C):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, att)
    NH = n_head
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


def attention_backward_naive(dev, dout, cache, B, T, C):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    qkv, NH, att = cache
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
    dscores *= np.float32(1.0 / np.sqrt(C // NH))   # S = scale * Q K^T
    dev.kernel("attention", "attention_backward_naive_dqk_kernel")(
        (blocks(dout.size, threads),), (threads,), (dqkv, dscores, qkv) + sizes)
    return dqkv


def attention_forward_flash(dev, qkv, n_head, B, T, C):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, out, lse)
    NH = n_head
    out = dev.xp.empty((B, T, C), np.float32)
    lse = dev.xp.empty((B, NH, T), np.float32)
    if out.size == 0:
        return out, (qkv, NH, out, lse)
    inst, block_q, shared, _, _ = _flash(C // NH)
    dev.kernel("attention", f"attention_forward_flash_hs{inst}_kernel")(
        (B * NH * blocks(T, block_q),), (FLASH_THREADS,), (out, lse, qkv) + _sizes(B, T, C, NH), shared_mem=shared)
    return out, (qkv, NH, out, lse)


def attention_backward_flash(dev, dout, cache, B, T, C):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    qkv, NH, out, lse = cache
    dqkv = dev.xp.empty_like(qkv)
    if dqkv.size == 0:
        return dqkv
    sizes = _sizes(B, T, C, NH)
    D = dev.xp.empty((B, NH, T), np.float32)
    warps = 4
    dev.kernel("attention", "attention_backward_flash_d_kernel")(
        (blocks(B * T * NH, warps),), (32 * warps,), (D, dout, out) + sizes)
    inst, block_q, _, shared_dq, shared_dkv = _flash(C // NH)
    grid, args = (B * NH * blocks(T, block_q),), (dqkv, dout, qkv, lse, D) + sizes
    dev.kernel("attention", f"attention_backward_flash_dq_hs{inst}_kernel")(
        grid, (FLASH_THREADS,), args, shared_mem=shared_dq)
    dev.kernel("attention", f"attention_backward_flash_dkv_hs{inst}_kernel")(
        grid, (FLASH_THREADS,), args, shared_mem=shared_dkv)
    return dqkv
