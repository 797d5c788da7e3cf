"""Chapter 04: the gated recurrent unit (GRU), forward and backprop through time, as a NumPy reference.

A recurrent network reads a sequence one step at a time and carries what it
has read in a state h (H numbers). The GRU (Cho et al. 2014) decides at every
step how much of the old state to keep, with two gates, in PyTorch's
conventions (torch.nn.GRU), so a learner can compare:

    r  = sigmoid(W_ir x_t + b_ir + W_hr h + b_hr)        reset gate     (B, H)
    z  = sigmoid(W_iz x_t + b_iz + W_hz h + b_hz)        update gate    (B, H)
    n  = tanh(W_in x_t + b_in + r * (W_hn h + b_hn))     candidate      (B, H)
    h' = (1 - z) * n + z * h                             new state      (B, H)

The weights are stacked gate by gate, (r, z, n), exactly as torch.nn.GRU's
weight_ih_l0 and weight_hh_l0: w_ih (3H, I), w_hh (3H, H), b_ih and b_hh (3H,).
z near 1 copies the state forward unchanged, which is how a GRU carries
information (and gradient) over many steps; r near 0 lets the candidate
ignore the old state.

The work splits in two, and so does every implementation (NumPy, C, CUDA):

    gi = x @ w_ih.T + b_ih         all T steps in ONE matrix multiply: (B*T, I) @ (I, 3H)
    for t in 0 .. T-1:             the recurrence: step t needs h from step t-1
        gh = h @ w_hh.T + b_hh     (B, H) @ (H, 3H), one small product per step
        gates from gi[:, t] and gh (elementwise), h = h'

Only the second half is sequential; the first is one big product that a CPU
or GPU runs at full speed.

Backprop through time walks the steps backwards. With dh the gradient
arriving at h' (from out[:, t] and from step t+1), and the pre-activations
ar, az, an of r, z, n:
    dn  = dh * (1 - z)                 dan = dn * (1 - n^2)           (tanh' = 1 - tanh^2)
    dz  = dh * (h - n)                 daz = dz * z * (1 - z)         (sigmoid' = s (1 - s))
    dr  = dan * hn                     dar = dr * r * (1 - r)         (hn = W_hn h + b_hn)
    dgi = (dar, daz, dan)              d of the input projection's 3H outputs
    dgh = (dar, daz, dan * r)          d of the recurrent projection's (r scales hn)
    dh_prev = dh * z + dgh @ w_hh      the two paths from h into h'
and the weight gradients are again big products over all steps at once:
    dx = dgi @ w_ih     dw_ih = dgi^T @ x         db_ih = sum dgi
                        dw_hh = dgh^T @ h_prev    db_hh = sum dgh
(h_prev: the state each step started from, h0 then out[:, :-1]).

The forward saves, per step, r, z, n and hn: `gates` (B, T, 4H), what the
backward needs to avoid recomputing the products.
"""
import numpy as np

from pystory.declare import INT32_MAX, array, choice, declare, float32, tuple_of

__all__ = ["gru_forward", "gru_backward"]

# The CUDA versions (cuda/gru.cu); NumPy and C have one implementation and accept any name.
VERSIONS = choice("steps", "fused", "persistent", default="fused")

CACHE = tuple_of(x=array(float32, "(B, T, I)"), h0=array(float32, "(B, H)"),
                 w_ih=array(float32, "(3H, I)"), w_hh=array(float32, "(3H, H)"),
                 out=array(float32, "(B, T, H)"), gates=array(float32, "(B, T, 4H)"))


PERSISTENT_MAX_H = 768   # the persistent backward keeps 4 * 4 * H floats in 48 KiB of shared memory


def gates_fit_int32(B, T, H):
    """The kernels index the (B, T, 4H) gates with 32-bit ints."""
    if B * T * 4 * H > INT32_MAX:
        return f"B * T * 4H = {B * T * 4 * H} is too large (at most {INT32_MAX} gate values)"


def persistent_fits(H, version):
    """version 'persistent' keeps the state of its rows in shared memory."""
    if version == "persistent" and H > PERSISTENT_MAX_H:
        return (f"version 'persistent' supports H <= {PERSISTENT_MAX_H} (its state lives in 48 KiB of "
                f"shared memory), got H = {H}; use version='fused'")


def sigmoid(a):
    # 1 / (1 + e^-a), without overflow warnings for large |a|: e^-|a| <= 1
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


@declare(x=array(float32, "(B, T, I)"), h0=array(float32, "(B, H)"), w_ih=array(float32, "(3H, I)"),
         w_hh=array(float32, "(3H, H)"), b_ih=array(float32, "(3H,)"), b_hh=array(float32, "(3H,)"),
         version=VERSIONS, checks=[gates_fit_int32, persistent_fits], example=dict(H=5),
         returns=["out (B, T, H)", CACHE])
def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    # x: (B, T, I), h0: (B, H) -> out: (B, T, H) (every step's state), cache
    B, T, I = x.shape
    H = h0.shape[1]
    gi = (x.reshape(B * T, I) @ w_ih.T + b_ih).reshape(B, T, 3 * H)   # all steps at once
    out = np.empty((B, T, H), dtype=x.dtype)
    gates = np.empty((B, T, 4 * H), dtype=x.dtype)                    # r, z, n, hn per step
    h = h0
    for t in range(T):
        gh = h @ w_hh.T + b_hh                                        # (B, 3H)
        r = sigmoid(gi[:, t, :H] + gh[:, :H])
        z = sigmoid(gi[:, t, H:2 * H] + gh[:, H:2 * H])
        hn = gh[:, 2 * H:]
        n = np.tanh(gi[:, t, 2 * H:] + r * hn)
        h = (1 - z) * n + z * h
        out[:, t] = h
        gates[:, t] = np.concatenate([r, z, n, hn], axis=1)
    return out, (x, h0, w_ih, w_hh, out, gates)


@declare(dout=array(float32, "(B, T, H)"), cache=CACHE, version=VERSIONS,
         checks=[gates_fit_int32, persistent_fits],
         returns="dx (B, T, I), dh0 (B, H), dw_ih (3H, I), dw_hh (3H, H), db_ih (3H,), db_hh (3H,)")
def gru_backward(dout, cache):
    # dout: (B, T, H) = d loss / d out -> dx (B, T, I), dh0 (B, H), dw_ih, dw_hh, db_ih, db_hh
    x, h0, w_ih, w_hh, out, gates = cache
    B, T, I = x.shape
    H = h0.shape[1]
    dgi = np.empty((B, T, 3 * H), dtype=dout.dtype)
    dgh = np.empty((B, T, 3 * H), dtype=dout.dtype)
    dh = np.zeros((B, H), dtype=dout.dtype)
    for t in reversed(range(T)):
        dh = dh + dout[:, t]                                 # from the output, and from step t+1
        r, z, n, hn = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
        h_prev = out[:, t - 1] if t > 0 else h0
        dan = dh * (1 - z) * (1 - n * n)
        daz = dh * (h_prev - n) * z * (1 - z)
        dar = dan * hn * r * (1 - r)
        dgi[:, t] = np.concatenate([dar, daz, dan], axis=1)
        dgh[:, t] = np.concatenate([dar, daz, dan * r], axis=1)
        dh = dh * z + dgh[:, t] @ w_hh                       # (B, 3H) @ (3H, H)
    h_prevs = np.concatenate([h0[:, None], out], axis=1)[:, :T].reshape(B * T, H)    # h0, out[:, :-1]
    dgi2, dgh2 = dgi.reshape(B * T, 3 * H), dgh.reshape(B * T, 3 * H)
    dx = (dgi2 @ w_ih).reshape(B, T, I)
    dw_ih = dgi2.T @ x.reshape(B * T, I)
    dw_hh = dgh2.T @ h_prevs
    return dx, dh, dw_ih, dw_hh, dgi2.sum(axis=0), dgh2.sum(axis=0)
