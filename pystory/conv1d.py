"""Chapter 05: the discriminator's layers — 1-D convolution over time and max-over-time pooling.

A Kim-style text CNN (Kim 2014) reads a story as a sequence of embedding
vectors x: (B, T, Cin) and slides Cout "feature detectors" of width K along
time. Detector o fires at position t with

    out[b, t, o] = bias[o] + sum_k sum_c x[b, t + k, c] * w[o, c, k]      t = 0 .. T-K

(a "valid" cross-correlation, stride 1: out has T - K + 1 positions). A
detector of width 3 looks at three tokens at a time: it can learn a phrase
such as "once upon a". Then max-over-time pooling keeps, per detector, only
its strongest response anywhere in the story,

    pooled[b, o] = max_t out[b, t, o]

so the story's length no longer matters and the detector says "this phrase
occurred (somewhere), this strongly".

Memory layout. x is channels-last, (B, T, Cin), as every other pystory
activation; w is (Cout, Cin, K), the layout torch.nn.Conv1d stores, so
    out == torch.nn.functional.conv1d(x.transpose(1, 2), w, b).transpose(1, 2)
Channels-last has a useful property the C port uses: the window the detector
sees at position t, x[b, t:t+K, :], is K*Cin contiguous floats.

Backward, from the sum above:
    dw[o, c, k] = sum_b sum_t dout[b, t, o] * x[b, t + k, c]
    db[o]       = sum_b sum_t dout[b, t, o]
    dx[b, s, c] = sum_k sum_o dout[b, s - k, o] * w[o, c, k]     (terms with 0 <= s-k <= T-K)
Each input position is seen by up to K windows, so its gradient adds up to
K contributions: the NumPy reference adds them one shift k at a time.

Max pooling's backward sends each pooled gradient to the one position that
won (the FIRST maximum, when several positions tie) and zero elsewhere.
"""
import numpy as np

from pystory.declare import INT32_MAX, array, choice, declare, float32, int32, integer, tuple_of

__all__ = ["conv1d_forward", "conv1d_backward", "maxpool_time_forward", "maxpool_time_backward"]


def window_fits(T, K):
    """A valid convolution needs at least one full window: T >= K."""
    if T < K:
        return (f"argument 'x' has T = {T} time steps, fewer than the kernel width K = {K} of argument 'w' "
                "(pad the sequence to at least K steps)")


def kernel_has_a_tap(K):
    if K == 0:
        return "argument 'w' must have a kernel width K >= 1 (its last axis)"


def rows_fit_int32(B, T, Cin, Cout):
    """The C and CUDA code index the B*T rows (and B*T*Cout outputs) with 32-bit ints."""
    if B * T * max(Cin, Cout, 1) > INT32_MAX:
        return f"argument 'x' is too large: B*T*max(Cin, Cout) = {B * T * max(Cin, Cout, 1)} exceeds {INT32_MAX}"


def dout_has_the_output_length(Tout, T, K):
    """dout must be the gradient of conv1d_forward's output: T - K + 1 positions."""
    if T < K or Tout != T - K + 1:
        return (f"argument 'dout' must have T - K + 1 = {T - K + 1} positions (x has T = {T}, w has "
                f"K = {K}), got {Tout}")


X = array(float32, "(B, T, Cin)")
W = array(float32, "(Cout, Cin, K)")
CONV_CACHE = tuple_of(x=X, w=W)


@declare(x=X, w=W, b=array(float32, "(Cout,)"), version=choice("naive", "tiled", default="tiled"),
         checks=[kernel_has_a_tap, window_fits, rows_fit_int32], example=dict(T=7, K=3),
         returns=("out (B, Tout, Cout)", CONV_CACHE))
def conv1d_forward(x, w, b):
    # x: (B, T, Cin), w: (Cout, Cin, K), b: (Cout,) -> out: (B, T-K+1, Cout), cache = (x, w)
    K = w.shape[2]
    # windows[b, t, c, k] = x[b, t + k, c]: a view, no copy
    windows = np.lib.stride_tricks.sliding_window_view(x, K, axis=1)       # (B, T-K+1, Cin, K)
    out = np.tensordot(windows, w, axes=([2, 3], [1, 2])) + b             # (B, T-K+1, Cout)
    return out.astype(x.dtype, copy=False), (x, w)


@declare(dout=array(float32, "(B, Tout, Cout)"), cache=CONV_CACHE,
         checks=[dout_has_the_output_length, rows_fit_int32], example=dict(Tout=5, T=7, K=3),
         returns="dx (B, T, Cin), dw (Cout, Cin, K), db (Cout,)")
def conv1d_backward(dout, cache):
    # dout: (B, T-K+1, Cout) -> dx: (B, T, Cin), dw: (Cout, Cin, K), db: (Cout,)
    x, w = cache
    K = w.shape[2]
    Tout = dout.shape[1]
    windows = np.lib.stride_tricks.sliding_window_view(x, K, axis=1)       # (B, Tout, Cin, K)
    dw = np.tensordot(dout, windows, axes=([0, 1], [0, 1]))                 # (Cout, Cin, K)
    db = dout.sum(axis=(0, 1))
    dx = np.zeros_like(x)
    for k in range(K):                     # shift k: position t + k received w[:, :, k] from window t
        dx[:, k:k + Tout] += dout @ w[:, :, k]                              # (B, Tout, Cout) @ (Cout, Cin)
    return dx, dw.astype(x.dtype, copy=False), db.astype(x.dtype, copy=False)


def has_a_time_step(T):
    if T == 0:
        return "argument 'x' must have at least one time step (T >= 1): the max of nothing is undefined"


@declare(x=array(float32, "(B, T, C)"), checks=[has_a_time_step],
         returns="out (B, C), argmax int32 (B, C)")
def maxpool_time_forward(x):
    # x: (B, T, C) -> out: (B, C) = max over t, argmax: (B, C) int32, the first t that reaches it
    argmax = np.argmax(x, axis=1).astype(np.int32)      # np.argmax picks the first maximum (NaN wins)
    out = np.take_along_axis(x, argmax[:, None, :].astype(np.intp), axis=1)[:, 0, :]
    return out, argmax


def dx_fits_int32(B, T, C):
    if B * T * C > INT32_MAX:
        return f"argument 'T' is too large: dx would hold B*T*C = {B * T * C} floats (at most {INT32_MAX})"


@declare(dout=array(float32, "(B, C)"), argmax=array(int32, "(B, C) in [0, T)"), T=integer("[1, 2^31)"),
         checks=[dx_fits_int32], returns="dx (B, T, C)")
def maxpool_time_backward(dout, argmax, T):
    # dout: (B, C), argmax: (B, C) int32 in [0, T) -> dx: (B, T, C), dout at the winner, 0 elsewhere
    B, C = dout.shape
    dx = np.zeros((B, T, C), dout.dtype)
    np.put_along_axis(dx, argmax[:, None, :].astype(np.intp), dout[:, None, :], axis=1)
    return dx
