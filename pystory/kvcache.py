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
"""
import numpy as np

from pystory.attention import heads_divide_channels
from pystory.declare import array, declare, float32, integer

__all__ = ["attention_decode"]


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
