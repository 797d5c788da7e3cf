"""C backend bindings for the GRU (csrc/gru.c); checks: pystory/gru.py.

Besides the outputs, the binding allocates the scratch the C code works in
(the projections gi and gh, the packed recurrent weights, the per-step
gradients), so the C functions allocate nothing themselves.
"""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["gru_forward", "gru_backward"]


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, B, T, I, H):
    # x: (B, T, I), h0: (B, H) -> out: (B, T, H), cache (x, h0, w_ih, w_hh, out, gates)
    out = np.empty((B, T, H), np.float32)
    gates = np.empty((B, T, 4 * H), np.float32)
    gi = np.empty((B, T, 3 * H), np.float32)                  # scratch: the input projection
    gh = np.empty((B, 3 * H), np.float32)                     # scratch: one step's recurrent projection
    packed = np.empty(ext().lib.gru_packed_size(H), np.float32)
    ext().lib.gru_forward(ptr(out), ptr(gates), ptr(gi), ptr(gh), ptr(packed), ptr(x), ptr(h0),
                          ptr(w_ih), ptr(w_hh), ptr(b_ih), ptr(b_hh), B, T, I, H)
    return out, (x, h0, w_ih, w_hh, out, gates)


def gru_backward(dout, cache, B, T, I, H):
    # dout: (B, T, H) -> dx (B, T, I), dh0 (B, H), dw_ih (3H, I), dw_hh (3H, H), db_ih, db_hh (3H,)
    x, h0, w_ih, w_hh, out, gates = cache
    dx = np.empty((B, T, I), np.float32)
    dh0 = np.empty((B, H), np.float32)
    dw_ih = np.empty((3 * H, I), np.float32)
    dw_hh = np.empty((3 * H, H), np.float32)
    db_ih = np.empty(3 * H, np.float32)
    db_hh = np.empty(3 * H, np.float32)
    dgi = np.empty((B, T, 3 * H), np.float32)                 # scratch: per-step gate gradients
    dgh = np.empty((B, T, 3 * H), np.float32)
    hprev = np.empty((B, T, H), np.float32)                   # scratch: the state each step started from
    packed = np.empty(ext().lib.gru_packed_size(H), np.float32)
    ext().lib.gru_backward(ptr(dx), ptr(dh0), ptr(dw_ih), ptr(dw_hh), ptr(db_ih), ptr(db_hh),
                           ptr(dgi), ptr(dgh), ptr(hprev), ptr(packed), ptr(dout), ptr(x), ptr(h0),
                           ptr(w_ih), ptr(w_hh), ptr(out), ptr(gates), B, T, I, H)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh
