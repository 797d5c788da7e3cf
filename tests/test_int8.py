"""Chapter 07: int8 quantization and the int8 linear layer agree across numpy, c, emu (and cuda)."""
import os
import subprocess

import numpy as np
import pytest

import pystory
from pystory.testing import assert_agree

ref = pystory.backend("numpy")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (N, C, OC): C not a multiple of 4 or 32 (the SIMD tails, dp4a's byte packing), OC not a
# multiple of 4 (C's 4-row micro-kernel), length-1 edges, a multiple of 32 (every fast path),
# and N >= 4 with and without a remainder of rows (C's 4 x 4 VNNI tile, with and without a tail).
SHAPES = [(1, 1, 1), (1, 7, 5), (3, 33, 6), (4, 64, 8), (2, 130, 9), (17, 96, 33), (9, 70, 10)]


def make(rng, N, C, OC):
    x = rng.standard_normal((N, C)).astype(np.float32)
    w = (rng.standard_normal((OC, C)) / np.sqrt(C)).astype(np.float32)
    b = rng.standard_normal(OC).astype(np.float32)
    return x, w, b


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 130), (2, 3, 33), (1, 300)])
def test_quantize_gives_the_same_integers_on_every_backend(backend, rng, shape):
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    q, scale = backend.quantize_int8(backend.asarray(x))
    want_q, want_s = ref.quantize_int8(x)
    assert_agree(q, want_q, name="q")
    assert_agree(scale, want_s, name="scale")


def test_quantize_round_trip_error_is_at_most_half_a_step(backend, rng):
    x = (rng.standard_normal((6, 50)) * np.array([[1e-3], [1], [10], [1e3], [0.5], [7]])).astype(np.float32)
    q, scale = backend.quantize_int8(backend.asarray(x))
    back = backend.to_numpy(backend.dequantize_int8(q, scale))
    step = backend.to_numpy(scale)[:, None]
    assert (np.abs(back - x) <= step / 2 * (1 + 1e-5) + 1e-30).all()
    assert np.abs(backend.to_numpy(q)).max() == 127          # the largest |x| of a row maps to ±127


def test_quantize_is_symmetric_and_never_uses_minus_128(backend, rng):
    x = rng.standard_normal((4, 40)).astype(np.float32)
    q, _ = backend.quantize_int8(backend.asarray(x))
    qn, _ = backend.quantize_int8(backend.asarray(-x))
    q, qn = backend.to_numpy(q), backend.to_numpy(qn)
    assert_agree(qn, -q)
    assert q.min() >= -127


def test_an_all_zero_row_has_scale_zero_and_dequantizes_to_zero(backend):
    x = np.zeros((2, 9), np.float32)
    x[1, 3] = 2.0
    q, scale = backend.quantize_int8(backend.asarray(x))
    assert backend.to_numpy(scale)[0] == 0 and not backend.to_numpy(q)[0].any()
    assert_agree(backend.dequantize_int8(q, scale), x)


def test_ties_round_to_even_like_np_rint(backend):
    # amax 127 makes x * 127 / amax = x: the halves 0.5, 1.5, 2.5 are exact ties
    x = np.array([[127.0, 0.5, 1.5, 2.5, -0.5, -2.5, 3.49]], np.float32)
    q, _ = backend.quantize_int8(backend.asarray(x))
    assert backend.to_numpy(q).tolist() == [[127, 0, 2, 2, 0, -2, 3]]


def test_dequantize_matches_reference(backend, rng):
    q = rng.integers(-127, 128, (3, 4, 21)).astype(np.int8)
    scale = rng.random((3, 4)).astype(np.float32)
    assert_agree(backend.dequantize_int8(backend.asarray(q), backend.asarray(scale)),
                 ref.dequantize_int8(q, scale))


@pytest.mark.parametrize("N,C,OC", SHAPES)
def test_linear_forward_int8_matches_reference(backend, rng, N, C, OC):
    x, w, b = make(rng, N, C, OC)
    wq, scale = ref.quantize_int8(w)
    out = backend.linear_forward_int8(backend.asarray(x), backend.asarray(wq), backend.asarray(scale),
                                      backend.asarray(b))
    assert_agree(out, ref.linear_forward_int8(x, wq, scale, b), rtol=1e-5, atol=1e-5, name="linear_forward_int8")


@pytest.mark.parametrize("version", ["naive", "dp4a"])
@pytest.mark.parametrize("N,C,OC", SHAPES)
def test_every_cuda_version_matches_reference(gpu_backend, rng, version, N, C, OC):
    x, w, b = make(rng, N, C, OC)
    wq, scale = ref.quantize_int8(w)
    be = gpu_backend
    out = be.linear_forward_int8(be.asarray(x), be.asarray(wq), be.asarray(scale), be.asarray(b), version=version)
    assert_agree(out, ref.linear_forward_int8(x, wq, scale, b), rtol=1e-5, atol=1e-5, name=version)


def test_the_product_is_exactly_the_dequantized_product(rng):
    # int8 sums are exact: the op equals dequant(xq) @ dequant(wq).T in float64, up to float32 rounding
    x, w, b = make(rng, 7, 45, 11)
    wq, scale = ref.quantize_int8(w)
    xq, sx = ref.quantize_int8(x)
    exact = (xq.astype(np.float64) * sx[:, None]) @ (wq.astype(np.float64) * scale[:, None]).T + b
    assert_agree(ref.linear_forward_int8(x, wq, scale, b), exact.astype(np.float32), rtol=1e-6, atol=1e-6)


def test_int8_product_is_close_to_the_float_product(backend, rng):
    # error per output <= sum_c (|x| dw + |w| dx + dx dw) with dx, dw half a step of each row
    x, w, b = make(rng, 5, 128, 16)
    wq, scale = ref.quantize_int8(w)
    _, sx = ref.quantize_int8(x)
    out = backend.to_numpy(backend.linear_forward_int8(backend.asarray(x), backend.asarray(wq),
                                                       backend.asarray(scale), backend.asarray(b)))
    dx, dw = sx[:, None] / 2, scale[None, :] / 2                      # (N, 1), (1, OC)
    bound = np.abs(x).sum(1, keepdims=True) * dw + dx * np.abs(w).sum(1)[None, :] + 128 * dx * dw
    assert (np.abs(out - (x @ w.T + b)) <= bound + 1e-4).all()


def test_linear_forward_int8_without_bias_and_with_leading_dims(backend, rng):
    x = rng.standard_normal((2, 3, 12)).astype(np.float32)
    wq, scale = ref.quantize_int8(rng.standard_normal((5, 12)).astype(np.float32))
    out = backend.linear_forward_int8(backend.asarray(x), backend.asarray(wq), backend.asarray(scale), None)
    assert out.shape == (2, 3, 5)
    assert_agree(out, ref.linear_forward_int8(x, wq, scale, None), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("N,C,OC", [(0, 3, 4), (3, 0, 4), (3, 4, 0)])
def test_an_empty_dimension_gives_empty_or_bias_only_results(backend, N, C, OC):
    x = np.ones((N, C), np.float32)
    wq, scale, b = np.ones((OC, C), np.int8), np.ones(OC, np.float32), np.full(OC, 2.0, np.float32)
    out = backend.linear_forward_int8(backend.asarray(x), backend.asarray(wq), backend.asarray(scale),
                                      backend.asarray(b))
    assert_agree(out, np.full((N, OC), 2.0, np.float32))
    q, s = backend.quantize_int8(backend.asarray(x))
    assert q.shape == (N, C) and s.shape == (N,)


def test_non_finite_inputs_do_not_crash(backend):
    x = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, -1.0]], np.float32)
    wq, scale = np.ones((2, 3), np.int8), np.ones(2, np.float32)
    q, _ = backend.quantize_int8(backend.asarray(x))
    assert np.abs(backend.to_numpy(q).astype(int)).max() <= 127
    backend.linear_forward_int8(backend.asarray(x), backend.asarray(wq), backend.asarray(scale), None)


def test_a_weight_of_minus_128_is_refused(device_backend):
    # -128 has no positive twin: the sign trick of the C kernel would be wrong for it
    wq = np.full((2, 4), -128, np.int8)
    with pytest.raises(ValueError, match=r"linear_forward_int8: argument 'wq' holds -128, outside \[-127, 127\]"):
        device_backend.linear_forward_int8(np.ones((1, 4), np.float32), device_backend.asarray(wq),
                                           np.ones(2, np.float32), None)


# --- the C dot product: every instruction-set path gives the same integers ----------------

def _build(tmp_path, name, flags):
    from cffi import FFI
    so = tmp_path / f"int8_{name}.so"
    cmd = ["gcc", "-std=c11", "-O3", "-fPIC", "-shared", *flags, "-I", os.path.join(ROOT, "csrc"),
           os.path.join(ROOT, "csrc", "int8.c"), "-o", str(so), "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot build csrc/int8.c with {flags}: {r.stderr.strip()[:200]}")
    ffi = FFI()
    ffi.cdef("void linear_forward_int8(float* out, const float* x, const int8_t* wq, const float* scale,"
             " const float* b, int N, int C, int OC); int int8_simd_path(void);")
    return ffi, ffi.dlopen(str(so))


def _cpu_has(flag):
    try:
        with open("/proc/cpuinfo") as f:
            return f" {flag}" in f.read()
    except OSError:
        return False


def test_portable_avx2_and_native_builds_give_identical_results(tmp_path, rng):
    builds = {"portable": ["-march=x86-64"] if os.uname().machine == "x86_64" else []}
    if _cpu_has("avx2"):
        builds["avx2"] = ["-mavx2", "-mfma"]
    builds["native"] = ["-march=native"]
    N = 9                                   # two 4 x 4 tiles and one row on its own (VNNI builds)
    x, w, b = make(rng, N, 100, 13)
    wq, scale = ref.quantize_int8(w)
    results, paths = {}, {}
    for name, flags in builds.items():
        ffi, lib = _build(tmp_path, name, flags)
        out = np.empty((N, 13), np.float32)
        p = lambda a, t: ffi.from_buffer(t, a)  # noqa: E731
        lib.linear_forward_int8(p(out, "float[]"), p(x, "float[]"), p(wq, "int8_t[]"), p(scale, "float[]"),
                                p(b, "float[]"), N, 100, 13)
        results[name], paths[name] = out, lib.int8_simd_path()
    assert paths["portable"] == 0
    if "avx2" in paths:
        assert paths["avx2"] == 1
    for name, out in results.items():
        assert_agree(out, results["portable"], rtol=0, atol=0, name=f"{name} vs portable")
    assert_agree(results["portable"], ref.linear_forward_int8(x, wq, scale, b), rtol=1e-6, atol=1e-6)
