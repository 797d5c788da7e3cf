"""Launches of cuda/kvcache.cu (chapter 06) for the cuda and emu backends; checks: pystory/kvcache.py."""
import numpy as np

from pystory.gpu.gelu import gelu_forward
from pystory.gpu.int8 import linear_forward_int8
from pystory.gpu.layernorm import layernorm_forward
from pystory.gpu.linear import linear_forward
from pystory.gpu.residual import residual_forward

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


def _check_scores_fit(op, t):
    if 4 * (t + 1) > SHARED_LIMIT:   # attention_decode's limit, said in the block op's name
        raise ValueError(f"{op}: t={t} needs {4 * (t + 1)} bytes of shared memory for the scores "
                         f"(at most {SHARED_LIMIT}); t must be < {SHARED_LIMIT // 4}")


def _block(dev, x, ln1w, ln1b, ln2w, ln2b, products, k_cache, v_cache, n_head, t, B, T_max, C):
    # x: (B, C) -> out: (B, C); writes k_cache[:, t], v_cache[:, t]. The block as the existing
    # kernels' launches, in the order of the NumPy reference (no kernel of its own: see the end
    # of cuda/kvcache.cu). products: the block's four x @ W.T + b (qkv, attproj, fc, fcproj).
    qkv_of, attproj_of, fc_of, fcproj_of = products
    h, _, _ = layernorm_forward(dev, x, ln1w, ln1b, 1e-5, C)
    qkv = qkv_of(h)                                                                     # (B, 3C)
    k_cache[:, t] = qkv[:, C:2 * C]
    v_cache[:, t] = qkv[:, 2 * C:]
    q = dev.xp.ascontiguousarray(qkv[:, :C])                                            # (B, C)
    a = attention_decode(dev, q, k_cache, v_cache, n_head, t + 1, B, T_max, C)
    x = residual_forward(dev, x, attproj_of(a))
    h, _, _ = layernorm_forward(dev, x, ln2w, ln2b, 1e-5, C)
    f = gelu_forward(dev, fc_of(h))                                                     # (B, 4C)
    return residual_forward(dev, x, fcproj_of(f))


def block_decode(dev, x, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb,
                 k_cache, v_cache, n_head, t, B, T_max, C):
    _check_scores_fit("block_decode", t)

    def product(w, b, IC, OC):                  # linear.cu's kernels
        return lambda h: linear_forward(dev, h, w, b, "regblock", IC, OC)
    return _block(dev, x, ln1w, ln1b, ln2w, ln2b,
                  (product(qkvw, qkvb, C, 3 * C), product(attprojw, attprojb, C, C),
                   product(fcw, fcb, C, 4 * C), product(fcprojw, fcprojb, 4 * C, C)),
                  k_cache, v_cache, n_head, t, B, T_max, C)


def block_decode_int8(dev, x, ln1w, ln1b, qkvwq, qkvwscale, qkvb, attprojwq, attprojwscale, attprojb, ln2w, ln2b,
                      fcwq, fcwscale, fcb, fcprojwq, fcprojwscale, fcprojb, k_cache, v_cache, n_head, t,
                      B, T_max, C):
    _check_scores_fit("block_decode_int8", t)

    def product(wq, scale, b, IC, OC):          # int8.cu's (quantize, then __dp4a)
        return lambda h: linear_forward_int8(dev, h, wq, scale, b, "dp4a", IC, OC)
    return _block(dev, x, ln1w, ln1b, ln2w, ln2b,
                  (product(qkvwq, qkvwscale, qkvb, C, 3 * C), product(attprojwq, attprojwscale, attprojb, C, C),
                   product(fcwq, fcwscale, fcb, C, 4 * C), product(fcprojwq, fcprojwscale, fcprojb, 4 * C, C)),
                  k_cache, v_cache, n_head, t, B, T_max, C)
