"""Chapter 06 (and 04): GELU agrees across numpy, c, emu (and cuda)."""
import math

import numpy as np
import pytest

import pystory
from pystory import gelu as G
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")


@pytest.mark.parametrize("shape", [(0,), (1,), (255,), (257,), (3, 5, 7)])
def test_gelu_forward_matches_reference(backend, rng, shape):
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    assert_agree(backend.gelu_forward(backend.asarray(x)), ref.gelu_forward(x), name="gelu_forward")


@pytest.mark.parametrize("shape", [(0,), (1,), (257,), (3, 5, 7)])
def test_gelu_backward_matches_reference(backend, rng, shape):
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    got = backend.gelu_backward(backend.asarray(dout), backend.asarray(x))
    assert_agree(got, ref.gelu_backward(dout, x), name="gelu_backward")


def test_gelu_is_close_to_the_exact_erf_form(rng):
    # the tanh approximation is within ~1e-3 of x * Phi(x)
    x = np.linspace(-6, 6, 101)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    assert np.max(np.abs(G.gelu_forward(x) - exact)) < 1e-3


def test_gelu_known_values(backend):
    x = np.array([0.0, 1.0, -1.0, 10.0, -10.0], np.float32)
    want = np.array([0.0, 0.8411920, -0.1588080, 10.0, 0.0], np.float32)
    assert_agree(backend.gelu_forward(backend.asarray(x)), want, atol=1e-6)


def test_gelu_backward_gradient_matches_finite_differences(rng):
    x = rng.standard_normal(20) * 2
    g = rng.standard_normal(20)
    check_grad(lambda: np.sum(G.gelu_forward(x) * g), {"x": x}, {"x": G.gelu_backward(g, x)})


def test_gelu_rejects_float64(backend):
    with pytest.raises(TypeError, match=r"gelu_forward: argument 'x' must have dtype float32"):
        backend.gelu_forward(backend.asarray(np.ones(3)))


def test_gelu_backward_rejects_mismatched_shapes(backend):
    x = backend.asarray(np.ones(3, np.float32))
    d = backend.asarray(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"gelu_backward: argument 'x' must have shape \(\.\.\.\) = \(4,\) \(\.\.\. as in 'dout'\), got \(3,\)"):
        backend.gelu_backward(d, x)


def test_gelu_rejects_non_contiguous_view(backend):
    x = backend.asarray(np.ones(8, np.float32))[::2]
    with pytest.raises(ValueError, match=r"gelu_forward: argument 'x' must be C-contiguous"):
        backend.gelu_forward(x)
