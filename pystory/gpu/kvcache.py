"""Launches of cuda/kvcache.cu (chapter 06) for the cuda and emu backends; checks: pystory/kvcache.py."""
import numpy as np

THREADS = 64     # t is small in generation (<= block_size); two warps keep the block busy
SHARED_LIMIT = 48 * 1024


def attention_decode(dev, q, k_cache, v_cache, n_head, t, B, T_max, C):
    # q: (B, C), k_cache, v_cache: (B, T_max, C) float32 -> out: (B, C); one block per (b, head)
    if 4 * t > SHARED_LIMIT:   # the kernel keeps the t scores in shared memory
        raise ValueError(f"attention_decode: t={t} cached positions need {4 * t} bytes of shared memory "
                         f"(at most {SHARED_LIMIT}); t must be <= {SHARED_LIMIT // 4}")
    out = dev.xp.empty((B, C), np.float32)
    if out.size:
        dev.kernel("kvcache", "attention_decode_kernel")(
            (B * n_head,), (THREADS,), (out, q, k_cache, v_cache) + tuple(map(np.int32, (B, T_max, C, n_head, t))),
            shared_mem=4 * t)
    return out
