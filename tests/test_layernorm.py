"""Chapter 06 (and 04): layer normalization agrees across numpy, c, emu (and cuda)."""
import numpy as np
import pytest

import pystory
from pystory import layernorm as L
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")

SHAPES = [(1, 1), (1, 7), (5, 1), (3, 33), (37, 70), (2, 3, 20)]


def make(rng, shape):
    C = shape[-1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
    w = rng.standard_normal(C).astype(np.float32)
    b = rng.standard_normal(C).astype(np.float32)
    return x, w, b


@pytest.mark.parametrize("shape", SHAPES)
def test_layernorm_forward_matches_reference(backend, rng, shape):
    x, w, b = make(rng, shape)
    got = backend.layernorm_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))
    for name, g, e in zip(("out", "mean", "rstd"), got, ref.layernorm_forward(x, w, b)):
        assert_agree(g, e, name=f"layernorm_forward {name}", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
def test_layernorm_backward_matches_reference(backend, rng, shape):
    x, w, b = make(rng, shape)
    _, mean, rstd = ref.layernorm_forward(x, w, b)
    dout = rng.standard_normal(shape).astype(np.float32)
    be = backend
    got = be.layernorm_backward(be.asarray(dout), be.asarray(x), be.asarray(w),
                                be.asarray(mean), be.asarray(rstd))
    for name, g, e in zip(("dx", "dw", "db"), got, ref.layernorm_backward(dout, x, w, mean, rstd)):
        assert_agree(g, e, name=f"layernorm_backward {name}", rtol=1e-4, atol=1e-4)


def test_layernorm_output_has_zero_mean_and_unit_variance_before_the_affine(backend, rng):
    x, _, _ = make(rng, (6, 50))
    w, b = np.ones(50, np.float32), np.zeros(50, np.float32)
    out = backend.to_numpy(backend.layernorm_forward(backend.asarray(x), backend.asarray(w),
                                                     backend.asarray(b))[0])
    assert_agree(out.mean(axis=1), np.zeros(6, np.float32), atol=1e-5)
    assert_agree(out.var(axis=1), np.ones(6, np.float32), rtol=1e-3, atol=1e-3)


def test_layernorm_of_a_constant_row_is_the_bias(backend):
    # var = 0: rstd = 1/sqrt(eps) is large but finite, and x - mean = 0 exactly
    x = np.full((2, 8), 3.0, np.float32)
    w, b = np.full(8, 2.0, np.float32), np.arange(8, dtype=np.float32)
    out = backend.layernorm_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))[0]
    assert_agree(out, np.tile(b, (2, 1)))


def test_layernorm_backward_gradients_match_finite_differences(rng):
    x = rng.standard_normal((3, 6))
    w = rng.standard_normal(6)
    b = rng.standard_normal(6)
    g = rng.standard_normal((3, 6))
    _, mean, rstd = L.layernorm_forward(x, w, b)
    dx, dw, db = L.layernorm_backward(g, x, w, mean, rstd)
    check_grad(lambda: np.sum(L.layernorm_forward(x, w, b)[0] * g),
               {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db})


# --- bad input -------------------------------------------------------------

def test_layernorm_rejects_float64_input(backend):
    x = backend.asarray(np.ones((2, 3)))
    w = backend.asarray(np.ones(3, np.float32))
    with pytest.raises(TypeError, match=r"layernorm_forward: argument 'x' must have dtype float32"):
        backend.layernorm_forward(x, w, w)


def test_layernorm_rejects_weight_of_wrong_length(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones(4, np.float32))
    b = backend.asarray(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"layernorm_forward: argument 'w' must have shape \(C,\) = \(3,\) \(C as in 'x'\), got \(4,\)"):
        backend.layernorm_forward(x, w, b)


def test_layernorm_rejects_non_positive_eps(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"layernorm_forward: argument 'eps' must be in \(0, inf\), got 0.0"):
        backend.layernorm_forward(x, w, w, eps=0.0)


def test_layernorm_backward_rejects_non_contiguous_dout(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones(3, np.float32))
    stats = backend.asarray(np.ones(2, np.float32))
    dout = backend.asarray(np.ones((3, 2), np.float32)).T
    with pytest.raises(ValueError, match=r"layernorm_backward: argument 'dout' must be C-contiguous"):
        backend.layernorm_backward(dout, x, w, stats, stats)


def test_layernorm_backward_rejects_wrong_stats_shape(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones(3, np.float32))
    stats = backend.asarray(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"layernorm_backward: argument 'mean' must have shape \(\.\.\.\) = \(2,\) \(\.\.\. as in 'dout'\), got \(3,\)"):
        backend.layernorm_backward(x, x, w, stats, stats)
