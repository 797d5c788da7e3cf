"""Chapter 06 (and 04): softmax + cross-entropy agree across numpy, c, emu (and cuda)."""
import numpy as np
import pytest

import pystory
from pystory import crossentropy as X
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")

# (N, V): V smaller than a warp, not a multiple of 32, and longer than many strides
SHAPES = [(1, 1), (1, 5), (3, 31), (7, 33), (40, 300)]


def make(rng, N, V, scale=3.0):
    logits = (rng.standard_normal((N, V)) * scale).astype(np.float32)
    targets = rng.integers(0, V, size=N).astype(np.int32)
    return logits, targets


@pytest.mark.parametrize("N,V", SHAPES)
def test_crossentropy_forward_matches_reference(backend, rng, N, V):
    logits, targets = make(rng, N, V)
    losses, probs = backend.crossentropy_forward(backend.asarray(logits), backend.asarray(targets))
    want_losses, want_probs = ref.crossentropy_forward(logits, targets)
    assert_agree(losses, want_losses, name="losses", atol=1e-5)
    assert_agree(probs, want_probs, name="probs", atol=1e-6)


@pytest.mark.parametrize("N,V", SHAPES)
def test_crossentropy_backward_matches_reference(backend, rng, N, V):
    logits, targets = make(rng, N, V)
    _, probs = ref.crossentropy_forward(logits, targets)
    dlosses = rng.standard_normal(N).astype(np.float32)
    be = backend
    got = be.crossentropy_backward(be.asarray(dlosses), be.asarray(probs), be.asarray(targets))
    assert_agree(got, ref.crossentropy_backward(dlosses, probs, targets), name="dlogits", atol=1e-6)


@pytest.mark.parametrize("N,V", SHAPES)
def test_crossentropy_fused_matches_reference(backend, rng, N, V):
    logits, targets = make(rng, N, V)
    losses, dlogits = backend.crossentropy_fused(backend.asarray(logits), backend.asarray(targets))
    want_losses, want_dlogits = ref.crossentropy_fused(logits, targets)
    assert_agree(losses, want_losses, name="losses", atol=1e-5)
    assert_agree(dlogits, want_dlogits, name="dlogits", atol=1e-6)


def test_fused_equals_forward_then_backward_of_the_mean(backend, rng):
    logits, targets = make(rng, 6, 50)
    be = backend
    losses, dlogits = be.crossentropy_fused(be.asarray(logits), be.asarray(targets))
    l2, probs = be.crossentropy_forward(be.asarray(logits), be.asarray(targets))
    dmean = be.asarray(np.full(6, 1 / 6, np.float32))
    assert_agree(losses, l2, atol=1e-6)
    assert_agree(dlogits, be.crossentropy_backward(dmean, probs, be.asarray(targets)), atol=1e-7)


def test_crossentropy_survives_huge_logits(backend):
    # exp(1000) overflows float32; subtracting the row max keeps it finite
    logits = np.array([[1000.0, 0.0, -1000.0], [50.0, 50.0, 50.0]], np.float32)
    targets = np.array([0, 2], np.int32)
    losses, dlogits = backend.crossentropy_fused(backend.asarray(logits), backend.asarray(targets))
    assert_agree(losses, np.array([0.0, np.log(3.0)], np.float32), atol=1e-6)
    assert np.all(np.isfinite(backend.to_numpy(dlogits)))


def test_uniform_logits_give_loss_log_v(backend):
    logits = np.zeros((4, 300), np.float32)
    targets = np.array([0, 1, 150, 299], np.int32)
    losses, _ = backend.crossentropy_forward(backend.asarray(logits), backend.asarray(targets))
    assert_agree(losses, np.full(4, np.log(300.0), np.float32), atol=1e-5)


def test_crossentropy_gradients_match_finite_differences(rng):
    logits = rng.standard_normal((4, 7))
    targets = rng.integers(0, 7, size=4).astype(np.int32)
    dlosses = rng.standard_normal(4)
    _, probs = X.crossentropy_forward(logits, targets)
    check_grad(lambda: np.sum(X.crossentropy_forward(logits, targets)[0] * dlosses),
               {"logits": logits}, {"logits": X.crossentropy_backward(dlosses, probs, targets)})


def test_crossentropy_fused_gradient_is_that_of_the_mean_loss(rng):
    logits = rng.standard_normal((5, 6))
    targets = rng.integers(0, 6, size=5).astype(np.int32)
    _, dlogits = X.crossentropy_fused(logits, targets)
    check_grad(lambda: np.mean(X.crossentropy_fused(logits, targets)[0]),
               {"logits": logits}, {"logits": dlogits})


# --- bad input -------------------------------------------------------------

@pytest.mark.parametrize("op", ["crossentropy_forward", "crossentropy_fused"])
@pytest.mark.parametrize("bad", [-1, 5])
def test_crossentropy_rejects_targets_out_of_range(backend, op, bad):
    logits = backend.asarray(np.zeros((2, 5), np.float32))
    targets = backend.asarray(np.array([0, bad], np.int32))
    with pytest.raises(ValueError, match=rf"{op}: argument 'targets' holds {bad}, outside \[0, V\) = \[0, 5\)"):
        getattr(backend, op)(logits, targets)


def test_crossentropy_backward_rejects_targets_out_of_range(backend):
    probs = backend.asarray(np.full((2, 5), 0.2, np.float32))
    targets = backend.asarray(np.array([0, 7], np.int32))
    dl = backend.asarray(np.ones(2, np.float32))
    with pytest.raises(ValueError, match=r"crossentropy_backward: argument 'targets' holds 7, outside \[0, V\) = \[0, 5\)"):
        backend.crossentropy_backward(dl, probs, targets)


def test_crossentropy_rejects_int64_targets(backend):
    logits = backend.asarray(np.zeros((2, 5), np.float32))
    targets = backend.asarray(np.array([0, 1], np.int64))
    with pytest.raises(TypeError, match=r"crossentropy_fused: argument 'targets' must have dtype int32"):
        backend.crossentropy_fused(logits, targets)


def test_crossentropy_rejects_targets_of_wrong_length(backend):
    logits = backend.asarray(np.zeros((2, 5), np.float32))
    targets = backend.asarray(np.array([0, 1, 2], np.int32))
    with pytest.raises(ValueError, match=r"crossentropy_forward: argument 'targets' must have shape \(N,\) = \(2,\) \(N as in 'logits'\), got \(3,\)"):
        backend.crossentropy_forward(logits, targets)


def test_crossentropy_rejects_1d_logits(backend):
    logits = backend.asarray(np.zeros(5, np.float32))
    targets = backend.asarray(np.array([0], np.int32))
    with pytest.raises(ValueError, match=r"crossentropy_fused: argument 'logits' must have shape \(N, V\) \(2 dimensions\)"):
        backend.crossentropy_fused(logits, targets)


def test_crossentropy_rejects_float64_logits(backend):
    logits = backend.asarray(np.zeros((2, 5)))
    targets = backend.asarray(np.array([0, 1], np.int32))
    with pytest.raises(TypeError, match=r"crossentropy_fused: argument 'logits' must have dtype float32"):
        backend.crossentropy_fused(logits, targets)
