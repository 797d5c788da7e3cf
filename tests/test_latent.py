"""Chapter 04: the latent code — Gaussian KL, reparameterization, word dropout — on every backend."""
import numpy as np
import pytest

import pystory
from pystory import latent as L
from pystory.philox import philox_normal, philox_uniform
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")

SHAPES = [(1, 1), (3, 33), (17, 16), (2, 5)]


def gaussian(rng, shape, scale=1.0):
    mu = (rng.standard_normal(shape) * scale).astype(np.float32)
    logvar = (rng.standard_normal(shape) * scale).astype(np.float32)
    return mu, logvar


def on(be, *arrays):
    return [be.asarray(a) for a in arrays]


# --- gaussian_kl ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
def test_gaussian_kl_forward_matches_reference(backend, rng, shape):
    mu, logvar = gaussian(rng, shape, 2.0)
    assert_agree(backend.gaussian_kl_forward(*on(backend, mu, logvar)), ref.gaussian_kl_forward(mu, logvar),
                 name="kl")


@pytest.mark.parametrize("shape", SHAPES)
def test_gaussian_kl_backward_matches_reference(backend, rng, shape):
    mu, logvar = gaussian(rng, shape, 2.0)
    dkl = rng.standard_normal(shape).astype(np.float32)
    got = backend.gaussian_kl_backward(*on(backend, dkl, mu, logvar))
    for name, g, e in zip(("dmu", "dlogvar"), got, ref.gaussian_kl_backward(dkl, mu, logvar)):
        assert_agree(g, e, name=name)


def test_the_kl_of_the_prior_to_itself_is_exactly_zero(backend):
    zero = np.zeros((3, 4), np.float32)
    assert (backend.to_numpy(backend.gaussian_kl_forward(*on(backend, zero, zero))) == 0).all()


def test_the_kl_is_never_negative(backend, rng):
    mu, logvar = gaussian(rng, (50, 8), 3.0)
    assert (backend.to_numpy(backend.gaussian_kl_forward(*on(backend, mu, logvar))) >= 0).all()


def test_gaussian_kl_backward_matches_finite_differences(rng):
    mu, logvar, g = (rng.standard_normal((3, 4)) for _ in range(3))
    dmu, dlogvar = L.gaussian_kl_backward(g, mu, logvar)
    check_grad(lambda: np.sum(L.gaussian_kl_forward(mu, logvar) * g),
               {"mu": mu, "logvar": logvar}, {"mu": dmu, "logvar": dlogvar})


def test_the_analytic_kl_matches_a_monte_carlo_estimate():
    # KL(q || p) = E_q[log q(z) - log p(z)]; 400,000 Philox samples per dimension
    mu = np.array([[0.0, 1.5, -0.7, 0.3]])
    logvar = np.array([[0.0, -1.0, 0.8, -3.0]])
    n = 400_000
    eps = philox_normal(11, 0, n * 4).reshape(n, 4).astype(np.float64)
    z = mu + np.exp(0.5 * logvar) * eps
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + eps ** 2)
    log_p = -0.5 * (np.log(2 * np.pi) + z ** 2)
    mc = (log_q - log_p).mean(axis=0)
    se = (log_q - log_p).std(axis=0) / np.sqrt(n)
    analytic = L.gaussian_kl_forward(mu, logvar)[0]
    assert np.all(np.abs(mc - analytic) < 4 * se + 1e-12), (mc, analytic, se)


# --- reparameterize ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed, offset", [(0, 0), (7, 3), (2**40 + 5, 2**33 + 1)])
def test_reparameterize_forward_matches_reference(backend, rng, shape, seed, offset):
    mu, logvar = gaussian(rng, shape)
    z, eps = backend.reparameterize_forward(*on(backend, mu, logvar), seed, offset)
    z_ref, eps_ref = ref.reparameterize_forward(mu, logvar, seed, offset)
    assert_agree(z, z_ref, name="z")
    assert_agree(eps, eps_ref, name="eps")


@pytest.mark.parametrize("seed, offset", [(0, 0), (3, 1), (12345, 2**32 - 3), (2**63 + 9, 17)])
def test_the_noise_is_bit_identical_on_every_backend(backend, seed, offset):
    mu, logvar = np.zeros((7, 45), np.float32), np.zeros((7, 45), np.float32)
    _, eps = backend.reparameterize_forward(*on(backend, mu, logvar), seed, offset)
    want = philox_normal(seed, offset, mu.size).reshape(mu.shape)
    eps = backend.to_numpy(eps)
    assert eps.tobytes() == want.tobytes(), f"{int((eps != want).sum())} of {eps.size} normals differ"


def test_reparameterize_with_a_zero_variance_returns_mu(backend, rng):
    mu = rng.standard_normal((4, 6)).astype(np.float32)
    logvar = np.full((4, 6), -200.0, np.float32)        # exp(-100) underflows to 0 in float32
    z, _ = backend.reparameterize_forward(*on(backend, mu, logvar), 5, 0)
    assert_agree(z, mu)


def test_consecutive_offsets_continue_the_stream(backend):
    mu, logvar = np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32)
    _, a = backend.reparameterize_forward(*on(backend, mu, logvar), 9, 0)
    _, b = backend.reparameterize_forward(*on(backend, mu, logvar), 9, 6)
    both = np.concatenate([backend.to_numpy(a).ravel(), backend.to_numpy(b).ravel()])
    assert both.tobytes() == philox_normal(9, 0, 12).tobytes()


@pytest.mark.parametrize("shape", SHAPES)
def test_reparameterize_backward_matches_reference(backend, rng, shape):
    _, logvar = gaussian(rng, shape)
    dz, eps = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    got = backend.reparameterize_backward(*on(backend, dz, eps, logvar))
    for name, g, e in zip(("dmu", "dlogvar"), got, ref.reparameterize_backward(dz, eps, logvar)):
        assert_agree(g, e, name=name)


def test_reparameterize_backward_matches_finite_differences(rng):
    # with the noise held fixed, z is a smooth function of (mu, logvar)
    mu, logvar, g = (rng.standard_normal((3, 5)) for _ in range(3))
    _, eps = L.reparameterize_forward(mu, logvar, 4, 0)
    dmu, dlogvar = L.reparameterize_backward(g, eps, logvar)
    check_grad(lambda: np.sum(L.reparameterize_forward(mu, logvar, 4, 0)[0] * g),
               {"mu": mu, "logvar": logvar}, {"mu": dmu, "logvar": dlogvar})


def test_the_reparameterization_gradient_is_the_gradient_of_the_expectation():
    # f(z) = z^2: E_q[f] = mu^2 + exp(logvar), so d/dmu = 2 mu and d/dlogvar = exp(logvar).
    # The average over samples of the reparameterized gradient must estimate exactly that.
    n = 200_000
    mu = np.tile(np.array([[0.5, -1.0, 2.0]]), (n, 1))
    logvar = np.tile(np.array([[0.0, -0.5, 0.7]]), (n, 1))
    z, eps = L.reparameterize_forward(mu, logvar, 21, 0)
    dmu, dlogvar = L.reparameterize_backward(2 * z, eps, logvar)
    assert_agree(dmu.mean(0), 2 * mu[0], rtol=0, atol=0.02, name="d E[z^2] / d mu")
    assert_agree(dlogvar.mean(0), np.exp(logvar[0]), rtol=0, atol=0.02, name="d E[z^2] / d logvar")


# --- word dropout --------------------------------------------------------------------------

def ids_of(rng, B, T, V=50):
    return rng.integers(0, V, (B, T)).astype(np.int32)


@pytest.mark.parametrize("B, T", [(1, 1), (3, 7), (4, 33), (2, 64)])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_word_dropout_drops_the_same_positions_on_every_backend(backend, rng, B, T, p):
    ids = ids_of(rng, B, T)
    got = backend.word_dropout(backend.asarray(ids), p, 99, 5, 3)
    assert_agree(got, ref.word_dropout(ids, p, 99, 5, 3))


def test_word_dropout_with_p_one_keeps_only_the_start_token(backend, rng):
    ids = ids_of(rng, 3, 6)
    out = backend.to_numpy(backend.word_dropout(backend.asarray(ids), 1.0, 77, 0, 0))
    assert (out[:, 0] == ids[:, 0]).all() and (out[:, 1:] == 77).all()


def test_word_dropout_with_p_zero_changes_nothing(backend, rng):
    ids = ids_of(rng, 3, 6)
    assert_agree(backend.word_dropout(backend.asarray(ids), 0.0, 77, 0, 0), ids)


def test_word_dropout_drops_a_fraction_p_of_the_positions():
    ids = np.zeros((400, 101), np.int32)
    out = ref.word_dropout(ids, 0.25, 1, 8, 0)
    rate = (out[:, 1:] == 1).mean()
    assert abs(rate - 0.25) < 0.01, rate


def test_word_dropout_uses_the_uniforms_of_the_stream(rng):
    ids = ids_of(rng, 2, 9)
    u = philox_uniform(3, 10, ids.size).reshape(ids.shape)
    out = ref.word_dropout(ids, 0.5, 999, 3, 10)
    want = np.where((u < 0.5) & (np.arange(9) >= 1), 999, ids)
    assert_agree(out, want)


# --- bad input (the declaration tests cover the rest) ---------------------------------------

def test_word_dropout_rejects_a_probability_above_one(backend, rng):
    with pytest.raises(ValueError, match=r"word_dropout: argument 'p' must be in \[0, 1\], got 1.5"):
        backend.word_dropout(backend.asarray(ids_of(rng, 2, 3)), 1.5, 0, 0, 0)


def test_reparameterize_rejects_an_offset_that_would_wrap_the_counter(backend):
    mu = backend.asarray(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"reparameterize_forward: offset \+ B \* Z must stay below 2\^64"):
        backend.reparameterize_forward(mu, mu, 0, 2**64 - 5)


def test_reparameterize_rejects_a_negative_seed(backend):
    mu = backend.asarray(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"reparameterize_forward: argument 'seed' must be in \[0, 2\^64\)"):
        backend.reparameterize_forward(mu, mu, -1, 0)


def test_gaussian_kl_rejects_mismatched_shapes(backend):
    mu = backend.asarray(np.zeros((2, 3), np.float32))
    lv = backend.asarray(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"gaussian_kl_forward: argument 'logvar' must have shape \(B, Z\) = \(2, 3\)"):
        backend.gaussian_kl_forward(mu, lv)


# --- the peer -------------------------------------------------------------------------------

def test_kl_and_reparameterization_gradients_equal_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    mu, logvar = gaussian(rng, (4, 6))
    g_kl, g_z = (rng.standard_normal((4, 6)).astype(np.float32) for _ in range(2))
    z, eps = ref.reparameterize_forward(mu, logvar, 3, 0)
    tm = torch.tensor(mu, requires_grad=True)
    tl = torch.tensor(logvar, requires_grad=True)
    q = torch.distributions.Normal(tm, torch.exp(0.5 * tl))
    kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0))
    tz = tm + torch.exp(0.5 * tl) * torch.tensor(eps)
    ((kl * torch.tensor(g_kl)).sum() + (tz * torch.tensor(g_z)).sum()).backward()
    assert_agree(ref.gaussian_kl_forward(mu, logvar), kl.detach().numpy(), name="kl")
    assert_agree(z, tz.detach().numpy(), name="z")
    dmu1, dlv1 = ref.gaussian_kl_backward(g_kl, mu, logvar)
    dmu2, dlv2 = ref.reparameterize_backward(g_z, eps, logvar)
    assert_agree(dmu1 + dmu2, tm.grad.numpy(), name="dmu")
    assert_agree(dlv1 + dlv2, tl.grad.numpy(), name="dlogvar")
