"""Chapter 03: softmax and causal multi-head attention agree across numpy, c, emu (and cuda).

Every version (naive, flash) on every backend is compared with the NumPy
naive reference in float32; the NumPy backwards pass a float64 gradient
check; causality and stability are tested as properties; bad input is
rejected with the op and the argument named.
"""
import numpy as np
import pytest

import pystory
from pystory import attention as npattn
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")
VERSIONS = ["naive", "flash"]

# (B, T, n_head, head size): T = 1, T below / at / past a tile (32 rows in
# NumPy and C; 8 or 16 rows in CUDA), every head size the CUDA flash kernel has.
SHAPES = [(1, 1, 1, 16), (2, 5, 2, 32), (1, 33, 2, 64), (2, 70, 1, 16), (1, 40, 1, 128), (1, 17, 2, 16)]


def make_qkv(rng, B, T, n_head, hs, dtype=np.float32):
    return rng.standard_normal((B, T, 3 * n_head * hs)).astype(dtype)


def forward(be, version, qkv, n_head):
    return getattr(be, f"attention_forward_{version}")(qkv, n_head)


def backward(be, version, dout, cache):
    return getattr(be, f"attention_backward_{version}")(dout, cache)


# --- softmax -------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 70), (2, 3, 33), (4, 1000)])
def test_softmax_forward_matches_reference(backend, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    y = backend.softmax_forward(backend.asarray(x))
    assert_agree(y, ref.softmax_forward(x), name="softmax_forward")


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 70), (2, 3, 33), (4, 1000)])
def test_softmax_backward_matches_reference(backend, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    y = ref.softmax_forward(x)
    dy = rng.standard_normal(shape).astype(np.float32)
    dx = backend.softmax_backward(backend.asarray(dy), backend.asarray(y))
    assert_agree(dx, ref.softmax_backward(dy, y), name="softmax_backward")


@pytest.mark.parametrize("version", ["naive", "warp", "online"])
@pytest.mark.parametrize("shape", [(1, 1), (9, 31), (5, 257), (3, 1500)])
def test_every_softmax_kernel_matches_reference(gpu_backend, rng, version, shape):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    y = gpu_backend.softmax_forward(gpu_backend.asarray(x), version=version)
    assert_agree(y, ref.softmax_forward(x), name=f"softmax_forward_{version}")


def test_softmax_rows_sum_to_one(backend, rng):
    x = rng.standard_normal((6, 50)).astype(np.float32) * 10
    y = backend.to_numpy(backend.softmax_forward(backend.asarray(x)))
    assert_agree(y.sum(axis=1), np.ones(6, np.float32), rtol=1e-5, atol=1e-6, name="row sums")


@pytest.mark.parametrize("version", [None, "naive", "warp", "online"])
def test_softmax_is_stable_for_logits_of_1e4(backend, version):
    if version is not None and backend.name not in ("emu", "cuda"):
        pytest.skip("kernel versions exist on the CUDA backends only")
    x = np.array([[1e4, -1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4, -1e4, -1e4 + 2.0]], np.float32)
    kw = {} if version is None else {"version": version}
    y = backend.to_numpy(backend.softmax_forward(backend.asarray(x), **kw))
    e = np.exp(np.array([0.0, -1.0]))
    expected = np.array([[e[0] / e.sum(), 0.0, e[1] / e.sum(), 0.0],
                         [np.exp(-2.0) / (3 * np.exp(-2.0) + 1), np.exp(-2.0) / (3 * np.exp(-2.0) + 1),
                          np.exp(-2.0) / (3 * np.exp(-2.0) + 1), 1 / (3 * np.exp(-2.0) + 1)]])
    assert np.all(np.isfinite(y))
    assert_agree(y, expected.astype(np.float32), name="softmax of +-1e4")


def test_softmax_backward_passes_gradient_check(rng):
    x = rng.standard_normal((3, 6))
    w = rng.standard_normal((3, 6))
    y = npattn.softmax_forward(x)
    check_grad(lambda: np.sum(w * npattn.softmax_forward(x)), {"x": x}, {"x": npattn.softmax_backward(w, y)})


# --- attention: agreement --------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("B,T,NH,hs", SHAPES)
def test_attention_forward_matches_reference(backend, rng, version, B, T, NH, hs):
    qkv = make_qkv(rng, B, T, NH, hs)
    out, _ = forward(backend, version, backend.asarray(qkv), NH)
    expected, _ = ref.attention_forward_naive(qkv, NH)
    assert_agree(out, expected, name=f"attention_forward_{version}")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("B,T,NH,hs", SHAPES)
def test_attention_backward_matches_reference(backend, rng, version, B, T, NH, hs):
    qkv = make_qkv(rng, B, T, NH, hs)
    dout = rng.standard_normal((B, T, NH * hs)).astype(np.float32)
    _, cache = forward(backend, version, backend.asarray(qkv), NH)
    dqkv = backward(backend, version, backend.asarray(dout), cache)
    _, ref_cache = ref.attention_forward_naive(qkv, NH)
    assert_agree(dqkv, ref.attention_backward_naive(dout, ref_cache), name=f"attention_backward_{version}")


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_of_empty_sequence_is_empty(backend, version):
    qkv = backend.asarray(np.zeros((2, 0, 3 * 32), np.float32))
    out, cache = forward(backend, version, qkv, 2)
    assert out.shape == (2, 0, 32)
    assert backward(backend, version, backend.asarray(np.zeros((2, 0, 32), np.float32)), cache).shape == (2, 0, 96)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_leaves_qkv_unchanged(backend, rng, version):
    qkv = make_qkv(rng, 1, 9, 2, 16)
    q = backend.asarray(qkv)
    _, cache = forward(backend, version, q, 2)
    backward(backend, version, backend.asarray(np.ones((1, 9, 32), np.float32)), cache)
    assert_agree(backend.to_numpy(q), qkv, rtol=0, atol=0)


def test_first_token_attends_only_to_itself(backend, rng):
    # with one key to look at, the softmax weight is 1: out_0 = v_0
    qkv = make_qkv(rng, 1, 4, 2, 16)
    for version in VERSIONS:
        out, _ = forward(backend, version, backend.asarray(qkv), 2)
        assert_agree(backend.to_numpy(out)[0, 0], qkv[0, 0, 64:], name=f"{version}: out_0 = v_0")


def test_flash_reference_with_small_tiles_matches_naive(rng, monkeypatch):
    # tiles of 4 queries x 3 keys: many tiles, none aligned, T not a multiple of either
    monkeypatch.setattr(npattn, "BLOCK_Q", 4)
    monkeypatch.setattr(npattn, "BLOCK_K", 3)
    qkv = make_qkv(rng, 2, 11, 2, 8, np.float64)
    dout = rng.standard_normal((2, 11, 16))
    out_n, cache_n = npattn.attention_forward_naive(qkv, 2)
    out_f, cache_f = npattn.attention_forward_flash(qkv, 2)
    assert_agree(out_f, out_n, name="flash forward (small tiles)")
    assert_agree(npattn.attention_backward_flash(dout, cache_f),
                 npattn.attention_backward_naive(dout, cache_n), name="flash backward (small tiles)")


def test_flash_lse_is_the_log_of_the_softmax_denominator(rng):
    qkv = make_qkv(rng, 1, 6, 1, 4, np.float64)
    _, (_, _, _, lse) = npattn.attention_forward_flash(qkv, 1)
    q, k = qkv[0, :, :4], qkv[0, :, 4:8]
    s = q @ k.T / 2.0
    expected = [np.log(np.sum(np.exp(s[t, :t + 1]))) for t in range(6)]
    assert_agree(lse[0, 0], np.array(expected), name="lse")


# --- gradient checks (float64, NumPy) -------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_attention_backward_passes_gradient_check(rng, version, monkeypatch):
    monkeypatch.setattr(npattn, "BLOCK_Q", 2)  # several flash tiles even at T = 5
    monkeypatch.setattr(npattn, "BLOCK_K", 3)
    qkv = make_qkv(rng, 2, 5, 2, 3, np.float64)
    w = rng.standard_normal((2, 5, 6))
    fwd = getattr(npattn, f"attention_forward_{version}")
    bwd = getattr(npattn, f"attention_backward_{version}")
    _, cache = fwd(qkv, 2)
    check_grad(lambda: np.sum(w * fwd(qkv, 2)[0]), {"qkv": qkv}, {"qkv": bwd(w, cache)})


# --- properties: causality, stability ------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("t", [0, 7, 20])
def test_future_tokens_never_change_past_outputs(backend, rng, version, t):
    qkv = make_qkv(rng, 1, 37, 2, 16)
    changed = qkv.copy()
    changed[:, t + 1:] = rng.standard_normal(changed[:, t + 1:].shape) * 5
    a = backend.to_numpy(forward(backend, version, backend.asarray(qkv), 2)[0])
    b = backend.to_numpy(forward(backend, version, backend.asarray(changed), 2)[0])
    assert_agree(b[:, :t + 1], a[:, :t + 1], rtol=1e-6, atol=1e-7, name=f"outputs 0..{t}")
    assert not np.allclose(b[:, t + 1:], a[:, t + 1:])


@pytest.mark.parametrize("version", VERSIONS)
def test_gradient_of_past_outputs_never_reaches_future_tokens(backend, rng, version):
    t = 12
    qkv = make_qkv(rng, 1, 37, 2, 16)
    dout = rng.standard_normal((1, 37, 32)).astype(np.float32)
    dout[:, t + 1:] = 0.0                     # a loss on outputs 0..t only
    _, cache = forward(backend, version, backend.asarray(qkv), 2)
    dqkv = backend.to_numpy(backward(backend, version, backend.asarray(dout), cache))
    assert np.all(dqkv[:, t + 1:] == 0.0)
    assert np.any(dqkv[:, :t + 1] != 0.0)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_is_stable_for_scores_of_1e4(backend, rng, version):
    # head size 16, scale 1/4: q = (200, 0, ...) against keys +-(200, 0, ...)
    # gives scores +-1e4; the softmax must neither overflow nor lose the row.
    B, T, NH, hs = 1, 40, 1, 16
    qkv = make_qkv(rng, B, T, NH, hs)
    signs = np.where(rng.random(T) < 0.5, 1.0, -1.0)
    signs[[0, 5, 33]] = [-1.0, 1.0, 1.0]      # later keys raise the max: the online rescale is exercised
    qkv[0, :, :hs] = 0.0                      # q = (200, 0, ..., 0): scores exactly +-1e4, so the
    qkv[0, :, 0] = 200.0                      # answer is well-conditioned (ties average their values)
    qkv[0, :, hs] = 200.0 * signs
    qkv = qkv.astype(np.float32)
    dout = rng.standard_normal((B, T, hs)).astype(np.float32)
    out, cache = forward(backend, version, backend.asarray(qkv), NH)
    dqkv = backward(backend, version, backend.asarray(dout), cache)
    exp_out, exp_cache = npattn.attention_forward_naive(qkv.astype(np.float64), NH)
    exp_dqkv = npattn.attention_backward_naive(dout.astype(np.float64), exp_cache)
    assert np.all(np.isfinite(backend.to_numpy(out))) and np.all(np.isfinite(backend.to_numpy(dqkv)))
    assert_agree(out, exp_out.astype(np.float32), name="out with scores of 1e4")
    # Gradients through scores of 1e4 are large (dS ~ 200 * dP). Flash recomputes
    # P = exp(s - lse) with s and lse both ~1e4, whose float32 spacing is ~1e-3:
    # P carries that much relative error (so does FlashAttention's); naive does not.
    tol = 1e-3 if version == "naive" else 5e-3
    assert_agree(dqkv, exp_dqkv.astype(np.float32), rtol=tol, atol=tol, name="dqkv with scores of 1e4")


# --- bad input ------------------------------------------------------------------------

ALL = ["numpy", "c", "emu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.fixture(params=ALL)
def any_backend(request):
    return pystory.backend(request.param)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_rejects_heads_that_do_not_divide_channels(any_backend, version):
    qkv = any_backend.asarray(np.zeros((1, 4, 3 * 48), np.float32))
    with pytest.raises(ValueError, match=rf"attention_forward_{version}: argument 'n_head' must divide .*C = 48"):
        forward(any_backend, version, qkv, 5)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_rejects_unpacked_last_axis(any_backend, version):
    qkv = any_backend.asarray(np.zeros((1, 4, 50), np.float32))
    with pytest.raises(ValueError, match=rf"attention_forward_{version}: argument 'qkv' must have shape \(B, T, 3C\)"):
        forward(any_backend, version, qkv, 1)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_rejects_2d_qkv(any_backend, version):
    qkv = any_backend.asarray(np.zeros((4, 96), np.float32))
    with pytest.raises(ValueError, match=rf"attention_forward_{version}: argument 'qkv' must have"):
        forward(any_backend, version, qkv, 2)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_rejects_non_int_n_head(any_backend, version):
    qkv = any_backend.asarray(np.zeros((1, 4, 96), np.float32))
    with pytest.raises(TypeError, match=rf"attention_forward_{version}: argument 'n_head' must be an int"):
        forward(any_backend, version, qkv, 2.0)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_rejects_float64(backend, version):
    qkv = backend.asarray(np.zeros((1, 4, 96)))
    with pytest.raises(TypeError, match=rf"attention_forward_{version}: argument 'qkv' must have dtype float32, got float64"):
        forward(backend, version, qkv, 2)


def test_numpy_attention_rejects_integer_qkv():
    with pytest.raises(TypeError, match=r"attention_forward_naive: argument 'qkv' must have dtype float32, got int32"):
        ref.attention_forward_naive(np.zeros((1, 4, 96), np.int32), 2)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_backward_rejects_dout_of_wrong_shape(any_backend, rng, version):
    _, cache = forward(any_backend, version, any_backend.asarray(make_qkv(rng, 1, 4, 2, 16)), 2)
    with pytest.raises(ValueError, match=rf"attention_backward_{version}: argument 'cache' item 0 \('qkv'\) must have shape \(B, T, 3C\) "
                                         r"= \(1, 4, 99\) \(B, T, C as in 'dout'\), got \(1, 4, 96\)"):
        backward(any_backend, version, any_backend.asarray(np.zeros((1, 4, 33), np.float32)), cache)


@pytest.mark.parametrize("version", VERSIONS)
def test_attention_backward_rejects_a_foreign_cache(any_backend, rng, version):
    other = "flash" if version == "naive" else "naive"
    _, cache = forward(any_backend, other, any_backend.asarray(make_qkv(rng, 1, 4, 2, 16)), 2)
    with pytest.raises(TypeError, match=rf"attention_backward_{version}: argument 'cache' must be the cache"):
        backward(any_backend, version, any_backend.asarray(np.zeros((1, 4, 32), np.float32)), cache)


def test_naive_attention_rejects_t_whose_matrix_overflows_int32(backend):
    # B * NH * T * T = 46341^2 > 2^31 - 1: the naive (T, T) matrix cannot be indexed
    qkv = backend.asarray(np.zeros((1, 46341, 48), np.float32))
    with pytest.raises(ValueError, match=r"attention_forward_naive: T = 46341 is too long for the naive version"):
        backend.attention_forward_naive(qkv, 1)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("hs", [1, 8, 24, 96, 256])
def test_every_head_size_up_to_256_works_on_every_backend_and_version(backend, rng, version, hs):
    # CUDA's flash kernel runs a head size on the next compiled one (16 .. 256) with the rest masked;
    # T = 34 crosses a tile of 32 keys
    B, T, NH = 1, 34, 2 if hs <= 96 else 1
    qkv = make_qkv(rng, B, T, NH, hs)
    dout = rng.standard_normal((B, T, NH * hs)).astype(np.float32)
    out, cache = forward(backend, version, backend.asarray(qkv), NH)
    expected, ref_cache = npattn.attention_forward_naive(qkv.astype(np.float64), NH)
    assert_agree(out, expected.astype(np.float32), name=f"{version} forward, head size {hs}")
    dqkv = backward(backend, version, backend.asarray(dout), cache)
    want = npattn.attention_backward_naive(dout.astype(np.float64), ref_cache).astype(np.float32)
    assert_agree(dqkv, want, rtol=1e-4, atol=1e-5, name=f"{version} backward, head size {hs}")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_head_size_above_256_is_refused_on_every_backend(backend, rng, version):
    qkv = backend.asarray(make_qkv(rng, 1, 2, 1, 264))
    with pytest.raises(ValueError, match=rf"attention_forward_{version}: head size C / n_head = 264 is larger than 256"):
        forward(backend, version, qkv, 1)


def test_softmax_rejects_unknown_kernel_version(gpu_backend):
    with pytest.raises(ValueError, match=r"softmax_forward: argument 'version' must be one of \('naive', 'warp', 'online'\)"):
        gpu_backend.softmax_forward(gpu_backend.asarray(np.ones((2, 2), np.float32)), version="fast")


def test_softmax_rejects_float64(backend):
    with pytest.raises(TypeError, match=r"softmax_forward: argument 'x' must have dtype float32, got float64"):
        backend.softmax_forward(backend.asarray(np.ones((2, 2))))


def test_softmax_backward_rejects_mismatched_shapes(any_backend):
    y = any_backend.asarray(np.ones((2, 3), np.float32))
    dy = any_backend.asarray(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"softmax_backward: argument 'y' must have shape \(\.\.\., N\) = \(2, 4\) \(\.\.\., N as in 'dy'\), got \(2, 3\)"):
        any_backend.softmax_backward(dy, y)


# --- a property over random shapes (hypothesis) ------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(B=st.integers(1, 2), T=st.integers(1, 80), NH=st.integers(1, 3), hs=st.sampled_from([8, 16, 24, 64]),
       seed=st.integers(0, 2**16))
def test_c_flash_matches_numpy_naive_for_any_shape(B, T, NH, hs, seed):
    rng = np.random.default_rng(seed)
    c = pystory.backend("c")
    qkv = make_qkv(rng, B, T, NH, hs)
    dout = rng.standard_normal((B, T, NH * hs)).astype(np.float32)
    out, cache = c.attention_forward_flash(qkv, NH)
    expected, ref_cache = ref.attention_forward_naive(qkv, NH)
    assert_agree(out, expected, name="c flash forward")
    assert_agree(c.attention_backward_flash(dout, cache), ref.attention_backward_naive(dout, ref_cache),
                 name="c flash backward")
