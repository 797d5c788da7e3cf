"""Launches for cuda/gru.cu (chapter 04), shared by the cuda and emu backends.
The checks are in the declarations (pystory/gru.py).

The big products are cuda/linear.cu's matmul (pystory/gpu/linear.py):
    gi = x @ w_ih.T + b_ih                  once, for all T steps
    dx = dgi @ w_ih, dw_ih = dgi.T @ x, dw_hh = dgh.T @ h_prev   once, after the loop
`version=` picks how the steps run (see the top of cuda/gru.cu):
    "steps"       per step: the recurrent matmul, then 3 gate kernels (backward: 3, + matmul)
    "fused"       per step: the recurrent matmul, then 1 fused gate kernel
    "persistent"  one launch for the whole sequence
"""
import numpy as np

from pystory.gpu import blocks
from pystory.gpu.linear import matmul

__all__ = ["gru_forward", "gru_backward"]

THREADS = 256
BB = 4          # batch rows per block of the persistent kernels (cuda/gru.cu)
STEP_MATMUL = "tiled"       # the per-step product is small (B x 3H): many 16x16 tiles keep more SMs busy
BIG_MATMUL = "regblock"     # the products over all B*T rows


def _flat_from(a, start):
    """A contiguous 1-D view of `a` from flat element `start` (a kernel then reads rows with a stride)."""
    return a.reshape(-1)[start:]


def _persistent_threads(H):
    return min(THREADS, 32 * blocks(H, 32))


def gru_forward(dev, x, h0, w_ih, w_hh, b_ih, b_hh, version, B, T, I, H):
    # x: (B, T, I), h0: (B, H) -> out: (B, T, H), cache (x, h0, w_ih, w_hh, out, gates)
    xp = dev.xp
    G = 3 * H
    out = xp.empty((B, T, H), np.float32)
    gates = xp.empty((B, T, 4 * H), np.float32)
    cache = (x, h0, w_ih, w_hh, out, gates)
    if B == 0 or T == 0 or H == 0:
        return out, cache
    gi = xp.empty((B, T, G), np.float32)
    if I == 0:
        gi[...] = b_ih                                   # an empty product: just the bias
    else:
        matmul(dev, gi.reshape(B * T, G), x, I, 1, w_ih, 1, I, B * T, G, I, bias=b_ih, version=BIG_MATMUL)
    sizes = (np.int32(B), np.int32(T), np.int32(H))
    if version == "persistent":
        wt = xp.empty((H, G), np.float32)
        dev.kernel("gru", "gru_transpose_kernel")((blocks(G * H, THREADS),), (THREADS,), (wt, w_hh, np.int32(H)))
        dev.kernel("gru", "gru_forward_persistent_kernel")(
            (blocks(B, BB),), (_persistent_threads(H),), (out, gates, gi, h0, wt, b_hh) + sizes,
            shared_mem=2 * BB * H * 4)
        return out, cache
    gh = xp.empty((B, G), np.float32)
    grid = (blocks(B * H, THREADS),)
    for t in range(T):
        # gh = h_prev @ w_hh.T + b_hh; h_prev is h0, or out[:, t-1] read with a row stride of T*H
        h_prev, stride = (h0, H) if t == 0 else (_flat_from(out, (t - 1) * H), T * H)
        matmul(dev, gh, h_prev, stride, 1, w_hh, 1, H, B, G, H, bias=b_hh, version=STEP_MATMUL)
        step = sizes + (np.int32(t),)
        if version == "steps":
            dev.kernel("gru", "gru_forward_rz_kernel")((blocks(B * 2 * H, THREADS),), (THREADS,),
                                                       (gates, gi, gh) + step)
            dev.kernel("gru", "gru_forward_candidate_kernel")(grid, (THREADS,), (gates, gi, gh) + step)
            dev.kernel("gru", "gru_forward_update_kernel")(grid, (THREADS,), (out, gates, h0) + step)
        else:
            dev.kernel("gru", "gru_forward_fused_kernel")(grid, (THREADS,), (out, gates, gi, gh, h0) + step)
    return out, cache


def gru_backward(dev, dout, cache, version, B, T, I, H):
    # dout: (B, T, H) -> dx (B, T, I), dh0 (B, H), dw_ih (3H, I), dw_hh (3H, H), db_ih, db_hh (3H,)
    xp = dev.xp
    x, h0, w_ih, w_hh, out, gates = cache
    G = 3 * H
    dx = xp.zeros((B, T, I), np.float32)
    dh0 = xp.zeros((B, H), np.float32)
    dw_ih = xp.zeros((G, I), np.float32)
    dw_hh = xp.zeros((G, H), np.float32)
    db_ih = xp.zeros(G, np.float32)
    db_hh = xp.zeros(G, np.float32)
    if B == 0 or T == 0 or H == 0:
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh
    dgi = xp.empty((B, T, G), np.float32)
    dgh = xp.empty((B, T, G), np.float32)
    sizes = (np.int32(B), np.int32(T), np.int32(H))
    if version == "persistent":
        dev.kernel("gru", "gru_backward_persistent_kernel")(
            (blocks(B, BB),), (_persistent_threads(H),), (dgi, dgh, dh0, dout, gates, out, h0, w_hh) + sizes,
            shared_mem=4 * BB * H * 4)
    else:
        carry = xp.zeros((B, H), np.float32)       # d z, from the gate kernels
        rec = xp.zeros((B, H), np.float32)         # dgh @ w_hh, from the matmul
        dsum = xp.empty((B, H), np.float32)
        grid = (blocks(B * H, THREADS),)
        for t in reversed(range(T)):
            step = sizes + (np.int32(t),)
            if version == "steps":
                dev.kernel("gru", "gru_backward_candidate_kernel")(
                    grid, (THREADS,), (dgi, dgh, dsum, carry, rec, dout, gates, out, h0) + step)
                dev.kernel("gru", "gru_backward_reset_kernel")(grid, (THREADS,), (dgi, dgh, gates) + step)
                dev.kernel("gru", "gru_backward_carry_kernel")(grid, (THREADS,), (carry, dsum, gates) + step)
            else:
                dev.kernel("gru", "gru_backward_fused_kernel")(
                    grid, (THREADS,), (dgi, dgh, carry, rec, dout, gates, out, h0) + step)
            # rec = dgh[:, t] @ w_hh: A(b, c) = dgh[(b*T + t)*3H + c], B(c, j) = w_hh[c*H + j]
            matmul(dev, rec, _flat_from(dgh, t * G), T * G, 1, w_hh, H, 1, B, H, G, version=STEP_MATMUL)
        dev.kernel("gru", "gru_backward_finish_kernel")(grid, (THREADS,), (dh0, carry, rec, np.int32(B * H)))
    # the weight gradients, over all B*T rows at once
    N = B * T
    h_prev = xp.concatenate([h0[:, None], out[:, :T - 1]], axis=1)      # (B, T, H): h0, out[:, :-1]
    if I:
        matmul(dev, dx.reshape(N, I), dgi, G, 1, w_ih, I, 1, N, I, G, version=BIG_MATMUL)
        matmul(dev, dw_ih, dgi, 1, G, x, I, 1, G, I, N, version=BIG_MATMUL)
    matmul(dev, dw_hh, dgh, 1, G, h_prev, H, 1, G, H, N, version=BIG_MATMUL)
    for db, d in ((db_ih, dgi), (db_hh, dgh)):
        dev.kernel("linear", "linear_bias_backward_kernel")((blocks(G, THREADS),), (THREADS,),
                                                            (db, d, np.int32(N), np.int32(G)))
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh
