"""Chapter 06: attention_decode (one query over a KV cache) agrees across backends and with full attention."""
import numpy as np
import pytest

import pystory
from pystory import attention as A
from pystory import kvcache as K
from pystory.testing import assert_agree

ref = pystory.backend("numpy")


def _cache(rng, B, T_max, C):
    q = rng.standard_normal((B, C)).astype(np.float32)
    k = rng.standard_normal((B, T_max, C)).astype(np.float32)
    v = rng.standard_normal((B, T_max, C)).astype(np.float32)
    return q, k, v


@pytest.mark.parametrize("B, T_max, C, NH, t", [
    (1, 1, 8, 1, 1),        # a single cached position: out = v[0]
    (2, 16, 32, 2, 1),
    (2, 16, 32, 2, 7),
    (2, 16, 32, 2, 16),     # a full cache
    (3, 70, 48, 3, 65),     # t beyond one block of threads (64), head size 16
])
def test_attention_decode_matches_reference(backend, rng, B, T_max, C, NH, t):
    q, k, v = _cache(rng, B, T_max, C)
    out = backend.attention_decode(*(backend.asarray(a) for a in (q, k, v)), NH, t)
    assert_agree(out, ref.attention_decode(q, k, v, NH, t), name="attention_decode")


def test_attention_decode_with_one_position_returns_its_value(backend, rng):
    q, k, v = _cache(rng, 2, 4, 16)
    out = backend.attention_decode(*(backend.asarray(a) for a in (q, k, v)), 4, 1)
    assert_agree(out, v[:, 0], name="out")


def test_attention_decode_ignores_positions_beyond_t(backend, rng):
    q, k, v = _cache(rng, 1, 10, 16)
    k2, v2 = k.copy(), v.copy()
    k2[:, 5:] = 1e6                 # garbage in the unfilled part of the cache
    v2[:, 5:] = np.nan
    out = backend.attention_decode(*(backend.asarray(a) for a in (q, k2, v2)), 2, 5)
    assert_agree(out, ref.attention_decode(q, k, v, 2, 5), name="attention_decode")


def test_attention_decode_equals_the_last_row_of_causal_attention(rng):
    # The whole point of the cache: the new token's output is the last row of full attention.
    B, T, C, NH = 2, 9, 24, 3
    qkv = rng.standard_normal((B, T, 3 * C))
    full, _ = A.attention_forward_naive(qkv, NH)              # the references: float64, strided views
    k, v = qkv[:, :, C:2 * C], qkv[:, :, 2 * C:]
    for t in range(1, T + 1):
        out = K.attention_decode(qkv[:, t - 1, :C], k, v, NH, t)
        assert_agree(out, full[:, t - 1], name=f"position {t - 1}")


# --- bad input ---------------------------------------------------------------------------------

def test_attention_decode_rejects_t_outside_the_cache(backend, rng):
    q, k, v = (backend.asarray(a) for a in _cache(rng, 1, 4, 8))
    for t in (0, 5):
        with pytest.raises(ValueError, match=r"attention_decode: argument 't' must be in \[1, T_max\] = \[1, 4\]"):
            backend.attention_decode(q, k, v, 2, t)


def test_attention_decode_rejects_head_count_not_dividing_c(backend, rng):
    q, k, v = (backend.asarray(a) for a in _cache(rng, 1, 4, 8))
    with pytest.raises(ValueError, match="attention_decode: argument 'n_head' must divide the channel count C = 8, got n_head=3"):
        backend.attention_decode(q, k, v, 3, 2)


def test_attention_decode_rejects_mismatched_cache_shapes(backend, rng):
    q, k, v = _cache(rng, 2, 4, 8)
    with pytest.raises(ValueError, match="attention_decode: argument 'v_cache'"):
        backend.attention_decode(backend.asarray(q), backend.asarray(k), backend.asarray(v[:, :3].copy()), 2, 2)
    with pytest.raises(ValueError, match="attention_decode: argument 'k_cache'"):
        backend.attention_decode(backend.asarray(q[:1].copy()), backend.asarray(k), backend.asarray(v), 2, 2)


def test_attention_decode_rejects_float64(backend, rng):
    q, k, v = _cache(rng, 1, 4, 8)
    with pytest.raises(TypeError, match="attention_decode: argument 'q' must have dtype float32"):
        backend.attention_decode(backend.asarray(q.astype(np.float64)),
                                        backend.asarray(k), backend.asarray(v), 2, 2)


def test_attention_decode_rejects_a_strided_cache(backend, rng):
    q, k, v = _cache(rng, 1, 8, 8)
    if backend.name == "cuda":
        pytest.skip("strided views are made on the host here")
    with pytest.raises(ValueError, match="attention_decode: argument 'k_cache' must be C-contiguous"):
        backend.attention_decode(q, k[:, ::2], v[:, ::2].copy(), 2, 2)
