"""Chapter 05: binary cross-entropy on logits agrees across backends, equals PyTorch,
stays finite at |logit| >= 100, and its NumPy backward matches finite differences."""
import numpy as np
import pytest

import pystory
from pystory import bce as ref_mod
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")


@pytest.mark.parametrize("N", [0, 1, 7, 1000])
def test_bce_forward_and_backward_match_reference(backend, rng, N):
    z = (rng.standard_normal(N) * 5).astype(np.float32)
    y = rng.random(N).astype(np.float32)
    d = rng.standard_normal(N).astype(np.float32)
    be = backend
    assert_agree(be.bce_with_logits_forward(be.asarray(z), be.asarray(y)), ref.bce_with_logits_forward(z, y))
    assert_agree(be.bce_with_logits_backward(be.asarray(d), be.asarray(z), be.asarray(y)),
                 ref.bce_with_logits_backward(d, z, y))


def test_bce_is_finite_and_exact_at_logits_of_a_hundred_and_more(backend):
    z = np.array([100.0, -100.0, 1e4, -1e4, 100.0, -100.0], np.float32)
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0], np.float32)
    loss = backend.to_numpy(backend.bce_with_logits_forward(backend.asarray(z), backend.asarray(y)))
    # confidently right: loss ~ exp(-100) ~ 0; confidently wrong: loss = |z|
    assert_agree(loss, np.array([0, 0, 0, 0, 100, 100], np.float32), atol=1e-6)
    grad = backend.to_numpy(backend.bce_with_logits_backward(backend.asarray(np.ones(6, np.float32)),
                                                            backend.asarray(z), backend.asarray(y)))
    assert_agree(grad, np.array([0, 0, 0, 0, 1, -1], np.float32), atol=1e-6)


def test_bce_at_logit_zero_is_log_two(backend):
    loss = backend.bce_with_logits_forward(backend.asarray(np.zeros(3, np.float32)),
                                           backend.asarray(np.array([0, 0.5, 1], np.float32)))
    assert_agree(loss, np.full(3, np.log(2), np.float32))


def test_bce_backward_gradients_match_finite_differences(rng):
    z = rng.standard_normal(9) * 4
    y = rng.random(9)
    g = rng.standard_normal(9)
    dz = ref_mod.bce_with_logits_backward(g, z, y)
    check_grad(lambda: np.sum(ref_mod.bce_with_logits_forward(z, y) * g), {"z": z}, {"z": dz})


def test_bce_equals_torch(backend, rng):
    torch = pytest.importorskip("torch")
    z = np.concatenate([(rng.standard_normal(50) * 10), [150.0, -150.0, 0.0]]).astype(np.float32)
    y = np.concatenate([rng.random(50), [0.0, 1.0, 0.3]]).astype(np.float32)
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y), reduction="none")
    d = rng.standard_normal(z.size).astype(np.float32)
    lt.backward(torch.tensor(d))
    be = backend
    assert_agree(be.bce_with_logits_forward(be.asarray(z), be.asarray(y)), lt.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert_agree(be.bce_with_logits_backward(be.asarray(d), be.asarray(z), be.asarray(y)), zt.grad.numpy(),
                 rtol=1e-5, atol=1e-6)


def test_bce_refuses_targets_outside_zero_one(backend):
    z = backend.asarray(np.zeros(2, np.float32))
    y = backend.asarray(np.array([0.0, 1.5], np.float32))
    with pytest.raises(ValueError, match=r"bce_with_logits_forward: argument 'targets' holds 1.5, outside \[0, 1\]"):
        backend.bce_with_logits_forward(z, y)


def test_bce_refuses_targets_of_another_length(backend):
    z = backend.asarray(np.zeros(2, np.float32))
    y = backend.asarray(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"bce_with_logits_forward: argument 'targets' must have shape \(N,\) = \(2,\)"):
        backend.bce_with_logits_forward(z, y)
