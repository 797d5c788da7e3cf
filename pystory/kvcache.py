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

__all__ = ["attention_decode"]


def check_decode_args(op, q_shape, k_shape, v_shape, n_head, t):
    """Check shapes and sizes; return (B, T_max, C, NH, hs). Every backend uses this."""
    for name, v in (("n_head", n_head), ("t", t)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: argument '{name}' must be an int, got {type(v).__name__}")
    if len(q_shape) != 2:
        raise ValueError(f"{op}: argument 'q' must have shape (B, C), got {tuple(q_shape)}")
    B, C = q_shape
    if len(k_shape) != 3 or k_shape[0] != B or k_shape[2] != C:
        raise ValueError(f"{op}: argument 'k_cache' must have shape ({B}, T_max, {C}), got {tuple(k_shape)}")
    if tuple(v_shape) != tuple(k_shape):
        raise ValueError(f"{op}: argument 'v_cache' must have the shape of 'k_cache' {tuple(k_shape)}, "
                         f"got {tuple(v_shape)}")
    T_max = k_shape[1]
    if n_head <= 0 or C % n_head:
        raise ValueError(f"{op}: argument 'n_head' must divide C = {C}, got {n_head}")
    if not 1 <= t <= T_max:
        raise ValueError(f"{op}: argument 't' must be in [1, {T_max}] (the cached positions), got {t}")
    return B, T_max, C, int(n_head), C // int(n_head)


def attention_decode(q, k_cache, v_cache, n_head, t):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) -> out: (B, C)
    B, T_max, C, NH, hs = check_decode_args("attention_decode", q.shape, k_cache.shape,
                                            v_cache.shape, n_head, t)
    qh = q.reshape(B, NH, 1, hs)                                       # (B, NH, 1, hs)
    k = k_cache[:, :t].reshape(B, t, NH, hs).transpose(0, 2, 1, 3)     # (B, NH, t, hs)
    v = v_cache[:, :t].reshape(B, t, NH, hs).transpose(0, 2, 1, 3)
    s = (qh @ k.transpose(0, 1, 3, 2)) * q.dtype.type(1.0 / np.sqrt(hs))   # (B, NH, 1, t)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return (p @ v).reshape(B, C)                                       # (B, NH, 1, hs) -> (B, C)
