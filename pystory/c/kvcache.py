"""C backend bindings for chapter 06's KV-cache attention (csrc/kvcache.c); checks: pystory/kvcache.py."""
import numpy as np

from pystory.c import ext, ptr


def attention_decode(q, k_cache, v_cache, n_head, t, B, T_max, C):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) float32 -> out: (B, C)
    out = np.empty((B, C), np.float32)
    ext().lib.attention_decode(ptr(out), ptr(q), ptr(k_cache), ptr(v_cache), B, T_max, C, n_head, t)
    return out
