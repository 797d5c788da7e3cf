"""Launches of cuda/attention.cu (chapter 03) for the cuda and emu backends; checks: pystory/attention.py.
The caches are the NumPy reference's tuples, holding device arrays."""
import numpy as np

from pystory.gpu import blocks

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
    dev.kernel("attention", "softmax_backward_kernel")((blocks(R, 4),), (128,), (dx, dy, y, np.int32(R), np.int32(N)))
    return dx


def _sizes(B, T, C, NH):
    return np.int32(B), np.int32(T), np.int32(C), np.int32(NH)


def attention_forward_naive(dev, qkv, n_head, B, T, C):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, att)
    NH = n_head
    out = dev.xp.empty((B, T, C), np.float32)
    att = dev.xp.empty((B, NH, T, T), np.float32)
    scores = dev.xp.empty((B, NH, T, T), np.float32)   # freed on return; att is kept
    sizes, rows = _sizes(B, T, C, NH), B * NH * T
    dev.kernel("attention", "attention_forward_naive_scores_kernel")((blocks(att.size, 256),), (256,),
                                                                     (scores, qkv) + sizes)
    dev.kernel("attention", "softmax_forward_warp_kernel")(   # the softmax of every row: the warp version
        (blocks(rows, 4),), (32 * 4,), (att, scores, np.int32(rows), np.int32(T)))
    dev.kernel("attention", "attention_forward_naive_values_kernel")((blocks(out.size, 256),), (256,),
                                                                     (out, att, qkv) + sizes)
    return out, (qkv, NH, att)


def attention_backward_naive(dev, dout, cache, B, T, C):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    qkv, NH, att = cache
    dqkv = dev.xp.empty_like(qkv)
    datt = dev.xp.empty((B, NH, T, T), np.float32)
    dscores = dev.xp.empty((B, NH, T, T), np.float32)
    sizes, rows = _sizes(B, T, C, NH), B * NH * T
    dev.kernel("attention", "attention_backward_naive_datt_kernel")((blocks(datt.size, 256),), (256,),
                                                                    (datt, dout, qkv) + sizes)
    dev.kernel("attention", "attention_backward_naive_dv_kernel")((blocks(dout.size, 256),), (256,),
                                                                  (dqkv, dout, att) + sizes)
    dev.kernel("attention", "softmax_backward_kernel")(
        (blocks(rows, 4),), (32 * 4,), (dscores, datt, att, np.int32(rows), np.int32(T)))
    dscores *= np.float32(1.0 / np.sqrt(C // NH))   # S = scale * Q K^T
    dev.kernel("attention", "attention_backward_naive_dqk_kernel")((blocks(dout.size, 256),), (256,),
                                                                   (dqkv, dscores, qkv) + sizes)
    return dqkv


def attention_forward_flash(dev, qkv, n_head, B, T, C):
    # qkv: (B, T, 3C) float32 -> out: (B, T, C), cache = (qkv, n_head, out, lse)
    NH = n_head
    out = dev.xp.empty((B, T, C), np.float32)
    lse = dev.xp.empty((B, NH, T), np.float32)
    inst, block_q, shared, _, _ = _flash(C // NH)
    dev.kernel("attention", f"attention_forward_flash_hs{inst}_kernel")(
        (B * NH * blocks(T, block_q),), (FLASH_THREADS,), (out, lse, qkv) + _sizes(B, T, C, NH), shared_mem=shared)
    return out, (qkv, NH, out, lse)


def attention_backward_flash(dev, dout, cache, B, T, C):
    # dout: (B, T, C) float32 -> dqkv: (B, T, 3C)
    qkv, NH, out, lse = cache
    dqkv = dev.xp.empty_like(qkv)
    D, sizes = dev.xp.empty((B, NH, T), np.float32), _sizes(B, T, C, NH)
    dev.kernel("attention", "attention_backward_flash_d_kernel")((blocks(B * T * NH, 4),), (32 * 4,),
                                                                 (D, dout, out) + sizes)   # a warp per row
    inst, block_q, _, shared_dq, shared_dkv = _flash(C // NH)
    grid, args = (B * NH * blocks(T, block_q),), (dqkv, dout, qkv, lse, D) + sizes
    dev.kernel("attention", f"attention_backward_flash_dq_hs{inst}_kernel")(grid, (FLASH_THREADS,), args,
                                                                           shared_mem=shared_dq)
    dev.kernel("attention", f"attention_backward_flash_dkv_hs{inst}_kernel")(grid, (FLASH_THREADS,), args,
                                                                            shared_mem=shared_dkv)
    return dqkv
