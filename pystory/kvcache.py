"""Chapter 06: attention for ONE new token over a KV cache, as a NumPy reference.

Generating text one token at a time, a GPT needs, at step t, the attention of
the new query q_t against the keys and values of positions 0..t. Those keys
and values do not change once computed (the model is causal), so we keep them
in a cache and compute only the new row:

    for each head h (hs = C / NH channels of q, k, v):
        s_j   = q_h . k_h[j] / sqrt(hs)          j = 0 .. t-1   (t positions)
        p     = softmax(s)                       over the t cached positions
        out_h = sum_j p_j v_h[j]

That is O(t * C) work per token instead of recomputing the whole (t, t)
attention matrix — the difference between seconds and minutes for a story.
There is no causal mask: every cached position is in the past of the query.

attention_decode(q, k_cache, v_cache, n_head, t) -> out
    q:                (B, C)        the new token's queries (heads side by side)
    k_cache, v_cache: (B, T_max, C) rows 0 .. t-1 are filled; the rest is ignored
    t:                the number of cached positions to attend to, 1 <= t <= T_max
    out:              (B, C)

One whole transformer block for one new position, as one op:

block_decode(x, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b,
             fcw, fcb, fcprojw, fcprojb, k_cache, v_cache, n_head, t) -> out
    x:                (B, C)        the residual stream at position t, one row per sequence
    weights:          one layer's, in the order GPT's block uses them (pystory/gpt.py)
    k_cache, v_cache: (B, T_max, C) rows 0 .. t-1 filled; the op writes row t of each
    t:                the new position, 0 <= t < T_max; it attends over positions 0 .. t
    out:              (B, C)        the residual stream after the block

It is exactly GPT.block_decode_ops (pystory/gpt.py): this chapter's ops one after
the other. Why an op of its own: generating a token costs ~11 op calls per
layer, each through Python and the op checker, and for a small model at B = 1
that overhead is as large as the arithmetic. As one op, C runs the block as
plain function calls (csrc/kvcache.c), like llama2.c's run.c.

The same block with chapter 07's int8 weights (pystory/int8.py, pystory/quantize.py):

block_decode_int8(x, ln1w, ln1b, qkvwq, qkvwscale, qkvb, attprojwq, attprojwscale, attprojb,
                  ln2w, ln2b, fcwq, fcwscale, fcb, fcprojwq, fcprojwscale, fcprojb,
                  k_cache, v_cache, n_head, t) -> out
    block_decode's arguments, in its order, with each of the four matrices given as
    linear_forward_int8 takes it: int8 weights wq (OC, C) in [-127, 127] and their
    per-row scales (OC,) -- QuantizedGPT's wq[name][l] and wscale[name][l].

It is QuantizedGPT's block_decode_ops: the four products are linear_forward_int8.
An op of its own for the same reason as block_decode, and more so: an int8 product
of one row is a few microseconds of C, so the Python around each call is most of
what an int8 token costs.
"""
import numpy as np

from pystory.attention import heads_divide_channels
from pystory.declare import array, declare, float32, int8, integer
from pystory.gelu import gelu_forward
from pystory.int8 import linear_forward_int8
from pystory.layernorm import layernorm_forward, rows_are_not_empty
from pystory.linear import linear_forward
from pystory.residual import residual_forward

__all__ = ["attention_decode", "block_decode", "block_decode_int8"]


@declare(q=array(float32, "(B, C)"), k_cache=array(float32, "(B, T_max, C)"),
         v_cache=array(float32, "(B, T_max, C)"), n_head=integer("[1, 2^31)"), t=integer("[1, T_max]"),
         checks=[heads_divide_channels], example=dict(C=8, n_head=2), returns="out (B, C)")
def attention_decode(q, k_cache, v_cache, n_head, t):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) -> out: (B, C)
    B, C = q.shape
    NH, hs = n_head, C // n_head
    qh = q.reshape(B, NH, 1, hs)                                       # (B, NH, 1, hs)
    k = k_cache[:, :t].reshape(B, t, NH, hs).transpose(0, 2, 1, 3)     # (B, NH, t, hs)
    v = v_cache[:, :t].reshape(B, t, NH, hs).transpose(0, 2, 1, 3)
    s = (qh @ k.transpose(0, 1, 3, 2)) * q.dtype.type(1.0 / np.sqrt(hs))   # (B, NH, 1, t)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return (p @ v).reshape(B, C)                                       # (B, NH, 1, hs) -> (B, C)


@declare(x=array(float32, "(B, C)"),
         ln1w=array(float32, "(C,)"), ln1b=array(float32, "(C,)"),
         qkvw=array(float32, "(3C, C)"), qkvb=array(float32, "(3C,)"),
         attprojw=array(float32, "(C, C)"), attprojb=array(float32, "(C,)"),
         ln2w=array(float32, "(C,)"), ln2b=array(float32, "(C,)"),
         fcw=array(float32, "(4C, C)"), fcb=array(float32, "(4C,)"),
         fcprojw=array(float32, "(C, 4C)"), fcprojb=array(float32, "(C,)"),
         k_cache=array(float32, "(B, T_max, C)"), v_cache=array(float32, "(B, T_max, C)"),
         n_head=integer("[1, 2^31)"), t=integer("[0, T_max)"),
         writes=("k_cache", "v_cache"), distinct=("k_cache", "v_cache", "x"),
         checks=[heads_divide_channels, rows_are_not_empty], example=dict(C=8, n_head=2), returns="out (B, C)")
def block_decode(x, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb,
                 k_cache, v_cache, n_head, t):
    # x: (B, C) at position t -> x: (B, C); writes k_cache[:, t], v_cache[:, t]: (B, C) each
    C = x.shape[1]
    h, _, _ = layernorm_forward(x, ln1w, ln1b)                          # (B, C)
    qkv = linear_forward(h, qkvw, qkvb)                                  # (B, 3C): q | k | v
    k_cache[:, t] = qkv[:, C:2 * C]                                      # the new position joins the cache
    v_cache[:, t] = qkv[:, 2 * C:]
    a = attention_decode(qkv[:, :C], k_cache, v_cache, n_head, t + 1)    # (B, C), over positions 0 .. t
    x = residual_forward(x, linear_forward(a, attprojw, attprojb))       # (B, C)
    h, _, _ = layernorm_forward(x, ln2w, ln2b)
    f = gelu_forward(linear_forward(h, fcw, fcb))                        # (B, 4C)
    return residual_forward(x, linear_forward(f, fcprojw, fcprojb))      # (B, C)


@declare(x=array(float32, "(B, C)"),
         ln1w=array(float32, "(C,)"), ln1b=array(float32, "(C,)"),
         qkvwq=array(int8, "(3C, C) in [-127, 127]"), qkvwscale=array(float32, "(3C,)"),
         qkvb=array(float32, "(3C,)"),
         attprojwq=array(int8, "(C, C) in [-127, 127]"), attprojwscale=array(float32, "(C,)"),
         attprojb=array(float32, "(C,)"),
         ln2w=array(float32, "(C,)"), ln2b=array(float32, "(C,)"),
         fcwq=array(int8, "(4C, C) in [-127, 127]"), fcwscale=array(float32, "(4C,)"),
         fcb=array(float32, "(4C,)"),
         fcprojwq=array(int8, "(C, 4C) in [-127, 127]"), fcprojwscale=array(float32, "(C,)"),
         fcprojb=array(float32, "(C,)"),
         k_cache=array(float32, "(B, T_max, C)"), v_cache=array(float32, "(B, T_max, C)"),
         n_head=integer("[1, 2^31)"), t=integer("[0, T_max)"),
         writes=("k_cache", "v_cache"), distinct=("k_cache", "v_cache", "x"),
         checks=[heads_divide_channels, rows_are_not_empty], example=dict(C=8, n_head=2), returns="out (B, C)")
def block_decode_int8(x, ln1w, ln1b, qkvwq, qkvwscale, qkvb, attprojwq, attprojwscale, attprojb, ln2w, ln2b,
                      fcwq, fcwscale, fcb, fcprojwq, fcprojwscale, fcprojb, k_cache, v_cache, n_head, t):
    # block_decode with int8 products: x (B, C) at position t -> x (B, C); writes k_cache[:, t], v_cache[:, t]
    C = x.shape[1]
    h, _, _ = layernorm_forward(x, ln1w, ln1b)                                     # (B, C)
    qkv = linear_forward_int8(h, qkvwq, qkvwscale, qkvb)                            # (B, 3C): q | k | v
    k_cache[:, t] = qkv[:, C:2 * C]
    v_cache[:, t] = qkv[:, 2 * C:]
    a = attention_decode(qkv[:, :C], k_cache, v_cache, n_head, t + 1)               # (B, C), over 0 .. t
    x = residual_forward(x, linear_forward_int8(a, attprojwq, attprojwscale, attprojb))
    h, _, _ = layernorm_forward(x, ln2w, ln2b)
    f = gelu_forward(linear_forward_int8(h, fcwq, fcwscale, fcb))                   # (B, 4C)
    return residual_forward(x, linear_forward_int8(f, fcprojwq, fcprojwscale, fcprojb))
