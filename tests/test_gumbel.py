"""Chapter 05: the Gumbel-softmax — the same noise and the same soft tokens on every backend,
PyTorch's softmax given our noise, the Gumbel-max property, and a float64 gradient check."""
import numpy as np
import pytest

import pystory
from pystory import gumbel as ref_mod
from pystory.philox import philox_uniform
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")

SHAPES = [(1, 1), (1, 2), (3, 33), (5, 100), (2, 2048)]


@pytest.mark.parametrize("mode", ["soft", "hard"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gumbel_softmax_forward_matches_reference(backend, rng, shape, mode):
    logits = (rng.standard_normal(shape) * 3).astype(np.float32)
    out, (y, tau) = backend.gumbel_softmax_forward(backend.asarray(logits), 0.5, 7, 12345, mode=mode)
    e_out, (e_y, _) = ref.gumbel_softmax_forward(logits, 0.5, 7, 12345, mode=mode)
    assert_agree(y, e_y, rtol=1e-4, atol=1e-6, name="y")
    assert_agree(out, e_out, rtol=1e-4, atol=1e-6, name="out")
    assert tau == 0.5


@pytest.mark.parametrize("shape", SHAPES)
def test_gumbel_softmax_backward_matches_reference(backend, rng, shape):
    logits = (rng.standard_normal(shape) * 3).astype(np.float32)
    _, cache = ref.gumbel_softmax_forward(logits, 0.8, 3, 0)
    dy = rng.standard_normal(shape).astype(np.float32)
    got = backend.gumbel_softmax_backward(backend.asarray(dy), (backend.asarray(cache[0]), cache[1]))
    assert_agree(got, ref.gumbel_softmax_backward(dy, cache), rtol=1e-4, atol=1e-6)


def test_rows_of_a_gumbel_softmax_sum_to_one(backend, rng):
    logits = backend.asarray((rng.standard_normal((4, 50)) * 10).astype(np.float32))
    y, _ = backend.gumbel_softmax_forward(logits, 0.1, 1, 0)
    assert_agree(backend.to_numpy(y).sum(axis=1), np.ones(4, np.float32), rtol=1e-5, atol=1e-5)


def test_the_noise_is_minus_log_minus_log_of_philox_uniform_plus_half_a_step():
    u = philox_uniform(9, 40, 6).astype(np.float64) + 2.0 ** -25
    assert_agree(ref_mod.gumbel_noise(9, 40, 2, 3), (-np.log(-np.log(u))).astype(np.float32).reshape(2, 3))


def test_the_noise_stays_finite_at_the_ends_of_the_uniform_range():
    # u = 0 and u = 1 - 2^-24 (the extreme 24-bit values) move to 2^-25 and 1 - 2^-25: both finite
    k = np.array([0, 2**24 - 1], np.float64)
    g = -np.log(-np.log(k * 2.0 ** -24 + 2.0 ** -25))
    assert np.isfinite(g).all()


def test_a_stream_offset_continues_the_noise(backend, rng):
    # rows 2.. of a call at offset 0 are the rows of a call at offset 2V: the noise is the stream's
    logits = (rng.standard_normal((4, 10)) * 2).astype(np.float32)
    y_all, _ = backend.gumbel_softmax_forward(backend.asarray(logits), 1.0, 5, 0)
    y_tail, _ = backend.gumbel_softmax_forward(backend.asarray(logits[2:].copy()), 1.0, 5, 20)
    assert_agree(backend.to_numpy(y_all)[2:], y_tail)


def test_hard_gumbel_softmax_is_a_sample_from_the_softmax():
    # The Gumbel-max trick: argmax(logits + g) is distributed as softmax(logits).
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.4]], np.float32))
    n = 20000
    out, _ = ref.gumbel_softmax_forward(np.repeat(logits, n, axis=0), 1.0, 11, 0, mode="hard")
    freq = out.mean(axis=0)
    assert np.abs(freq - [0.1, 0.2, 0.3, 0.4]).max() < 0.015      # 3.5 standard errors at n = 20000


def test_hard_mode_is_the_one_hot_of_the_soft_argmax(backend, rng):
    logits = backend.asarray((rng.standard_normal((6, 9)) * 2).astype(np.float32))
    out, (y, _) = backend.gumbel_softmax_forward(logits, 0.3, 2, 1, mode="hard")
    out, y = backend.to_numpy(out), backend.to_numpy(y)
    assert_agree(out, np.eye(9, dtype=np.float32)[np.argmax(y, axis=1)])


def test_a_small_temperature_gives_nearly_one_hot_rows(backend, rng):
    logits = backend.asarray(rng.standard_normal((8, 30)).astype(np.float32))
    y, _ = backend.gumbel_softmax_forward(logits, 0.01, 4, 0)
    assert backend.to_numpy(y).max(axis=1).min() > 0.99


def test_gumbel_softmax_backward_gradients_match_finite_differences(rng):
    logits = rng.standard_normal((3, 5)) * 2
    g = rng.standard_normal((3, 5))
    _, cache = ref_mod.gumbel_softmax_forward(logits, 0.7, 1, 0)
    dlogits = ref_mod.gumbel_softmax_backward(g, cache)
    check_grad(lambda: np.sum(ref_mod.gumbel_softmax_forward(logits, 0.7, 1, 0)[0] * g),
               {"logits": logits}, {"logits": dlogits})


def test_gumbel_softmax_equals_torch_given_the_same_noise(backend, rng):
    torch = pytest.importorskip("torch")
    logits = (rng.standard_normal((4, 64)) * 2).astype(np.float32)
    tau, seed, offset = 0.6, 21, 100
    g = torch.tensor(ref_mod.gumbel_noise(seed, offset, 4, 64))
    lt = torch.tensor(logits, requires_grad=True)
    yt = torch.softmax((lt + g) / tau, dim=-1)           # what torch.nn.functional.gumbel_softmax computes
    dy = rng.standard_normal((4, 64)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    be = backend
    y, cache = be.gumbel_softmax_forward(be.asarray(logits), tau, seed, offset)
    assert_agree(y, yt.detach().numpy(), rtol=1e-4, atol=1e-6, name="y vs torch")
    assert_agree(be.gumbel_softmax_backward(be.asarray(dy), cache), lt.grad.numpy(), rtol=1e-4, atol=1e-5,
                 name="dlogits vs torch")


def test_gumbel_softmax_refuses_a_temperature_of_zero(backend):
    with pytest.raises(ValueError, match=r"gumbel_softmax_forward: argument 'tau' must be in \(0, inf\), got 0.0"):
        backend.gumbel_softmax_forward(backend.asarray(np.zeros((1, 3), np.float32)), 0.0, 0, 0)


def test_gumbel_softmax_refuses_rows_of_no_entries(backend):
    with pytest.raises(ValueError, match=r"gumbel_softmax_forward: argument 'logits' must have V >= 1"):
        backend.gumbel_softmax_forward(backend.asarray(np.zeros((2, 0), np.float32)), 1.0, 0, 0)


def test_gumbel_softmax_refuses_an_offset_that_would_wrap_the_counter(backend):
    with pytest.raises(ValueError, match=r"gumbel_softmax_forward: argument 'offset' \+ N\*V must stay below 2\^64"):
        backend.gumbel_softmax_forward(backend.asarray(np.zeros((2, 3), np.float32)), 1.0, 0, 2**64 - 5)
