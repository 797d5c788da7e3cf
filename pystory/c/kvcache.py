"""C backend bindings for chapter 06's KV-cache attention (csrc/kvcache.c); checks: pystory/kvcache.py."""
import numpy as np

from pystory.c import ext, ptr


def attention_decode(q, k_cache, v_cache, n_head, t, B, T_max, C):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) float32 -> out: (B, C)
    out = np.empty((B, C), np.float32)
    ext().lib.attention_decode(ptr(out), ptr(q), ptr(k_cache), ptr(v_cache), B, T_max, C, n_head, t)
    return out


def block_decode(x, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb,
                 k_cache, v_cache, n_head, t, B, T_max, C):
    # x: (B, C) -> out: (B, C); writes k_cache[:, t], v_cache[:, t]. The block's
    # intermediates go in one scratch buffer of the size C asks for (csrc/kvcache.c).
    lib = ext().lib
    out = np.empty((B, C), np.float32)
    scratch = np.empty(lib.block_decode_scratch_size(B, C), np.float32)
    if out.size:
        lib.block_decode(ptr(out), ptr(k_cache), ptr(v_cache), ptr(scratch), ptr(x),
                         ptr(ln1w), ptr(ln1b), ptr(qkvw), ptr(qkvb), ptr(attprojw), ptr(attprojb),
                         ptr(ln2w), ptr(ln2b), ptr(fcw), ptr(fcb), ptr(fcprojw), ptr(fcprojb),
                         B, T_max, C, n_head, t)
    return out


def block_decode_int8(x, ln1w, ln1b, qkvwq, qkvwscale, qkvb, attprojwq, attprojwscale, attprojb, ln2w, ln2b,
                      fcwq, fcwscale, fcb, fcprojwq, fcprojwscale, fcprojb, k_cache, v_cache, n_head, t,
                      B, T_max, C):
    # block_decode with int8 products (each matrix as int8 weights and per-row scales); the same
    # scratch as block_decode's (csrc/kvcache.c)
    lib = ext().lib
    out = np.empty((B, C), np.float32)
    scratch = np.empty(lib.block_decode_scratch_size(B, C), np.float32)
    if out.size:
        lib.block_decode_int8(ptr(out), ptr(k_cache), ptr(v_cache), ptr(scratch), ptr(x), ptr(ln1w), ptr(ln1b),
                              ptr(qkvwq), ptr(qkvwscale), ptr(qkvb), ptr(attprojwq), ptr(attprojwscale),
                              ptr(attprojb), ptr(ln2w), ptr(ln2b), ptr(fcwq), ptr(fcwscale), ptr(fcb),
                              ptr(fcprojwq), ptr(fcprojwscale), ptr(fcprojb), B, T_max, C, n_head, t)
    return out
