"""Chapter 06: the residual connection agrees across numpy, c, emu (and cuda)."""
import numpy as np
import pytest

import pystory
from pystory.testing import assert_agree

ref = pystory.backend("numpy")


@pytest.mark.parametrize("shape", [(0,), (1,), (257,), (2, 3, 40)])
def test_residual_forward_matches_reference(backend, rng, shape):
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape).astype(np.float32)
    out = backend.residual_forward(backend.asarray(a), backend.asarray(b))
    assert_agree(out, ref.residual_forward(a, b), name="residual_forward")


def test_residual_backward_passes_the_gradient_to_both_inputs_unchanged(backend, rng):
    dout = backend.asarray(rng.standard_normal((3, 4)).astype(np.float32))
    da, db = backend.residual_backward(dout)
    # the same array, not copies: the gradient of a sum is the identity
    assert da is dout and db is dout


def test_residual_rejects_mismatched_shapes(backend):
    a = backend.asarray(np.ones((2, 3), np.float32))
    b = backend.asarray(np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"residual_forward: argument 'b' must have shape \(\.\.\.\) = \(2, 3\) \(\.\.\. as in 'a'\), got \(3, 2\)"):
        backend.residual_forward(a, b)


def test_residual_rejects_int_input(backend):
    a = backend.asarray(np.ones(3, np.int32))
    with pytest.raises(TypeError, match=r"residual_forward: argument 'a' must have dtype float32"):
        backend.residual_forward(a, a)
