"""Launches for cuda/kvcache.cu (chapter 06), shared by the cuda and emu backends."""
import numpy as np

from pystory.kvcache import check_decode_args

__all__ = ["attention_decode"]

THREADS = 64     # t is small in generation (<= block_size); two warps keep the block busy
SHARED_LIMIT = 48 * 1024


def attention_decode(dev, q, k_cache, v_cache, n_head, t):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) float32 -> out: (B, C)
    op = "attention_decode"
    dev.check(op, "q", q, np.float32, ndim=2)
    dev.check(op, "k_cache", k_cache, np.float32, ndim=3)
    dev.check(op, "v_cache", v_cache, np.float32, ndim=3)
    B, T_max, C, NH, hs = check_decode_args(op, q.shape, k_cache.shape, v_cache.shape, n_head, t)
    if 4 * t > SHARED_LIMIT:
        raise ValueError(f"{op}: t={t} cached positions need {4 * t} bytes of shared memory "
                         f"(at most {SHARED_LIMIT}); t must be <= {SHARED_LIMIT // 4}")
    out = dev.xp.empty((B, C), np.float32)
    if out.size == 0:
        return out
    dev.kernel("kvcache", "attention_decode_kernel")(
        (B * NH,), (THREADS,),
        (out, q, k_cache, v_cache, np.int32(B), np.int32(T_max), np.int32(C), np.int32(NH), np.int32(t)),
        shared_mem=4 * t)
    return out
