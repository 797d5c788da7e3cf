"""C backend bindings for chapter 06's KV-cache attention (csrc/kvcache.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array
from pystory.kvcache import check_decode_args

__all__ = ["attention_decode"]


def attention_decode(q, k_cache, v_cache, n_head, t):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) float32 -> out: (B, C)
    op = "attention_decode"
    check_array(op, "q", q, np.float32, ndim=2)
    check_array(op, "k_cache", k_cache, np.float32, ndim=3)
    check_array(op, "v_cache", v_cache, np.float32, ndim=3)
    B, T_max, C, NH, hs = check_decode_args(op, q.shape, k_cache.shape, v_cache.shape, n_head, t)
    out = np.empty((B, C), np.float32)
    if out.size:
        ext().lib.attention_decode(ptr(out), ptr(q), ptr(k_cache), ptr(v_cache), B, T_max, C, NH, int(t))
    return out
