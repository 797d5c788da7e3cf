"""Chapter 06 (and 04): AdamW and gradient clipping agree across numpy, c, emu (and cuda)."""
import math

import numpy as np
import pytest

import pystory
from pystory.testing import assert_agree

ref = pystory.backend("numpy")


def state(rng, n):
    p = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    m = (rng.standard_normal(n) * 0.1).astype(np.float32)
    v = (rng.random(n) * 0.1).astype(np.float32)
    return p, g, m, v


def adamw_by_hand(p, g, m, v, t, lr, b1, b2, eps, wd, mask):
    """The textbook formula, one parameter at a time, in float64."""
    p, m, v = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for i in range(p.size):
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
        m_hat = m[i] / (1 - b1 ** t)
        v_hat = v[i] / (1 - b2 ** t)
        decay = wd if (mask is None or mask[i]) else 0.0
        p[i] = p[i] - lr * (m_hat / (math.sqrt(v_hat) + eps) + decay * p[i])
    return p, m, v


def run_adamw(be, p, g, m, v, mask=None, **kw):
    """One update on backend `be`; returns (params, m, v) as NumPy arrays."""
    # copies: on CPU backends asarray may return the very array, and the update is in place
    pd, gd, md, vd = (be.asarray(a.copy()) for a in (p, g, m, v))
    maskd = be.asarray(mask) if mask is not None else None
    result = be.adamw_update(pd, gd, md, vd, decay_mask=maskd, **kw)
    assert result is None  # in place: the optimizer owns its state
    return tuple(be.to_numpy(a) for a in (pd, md, vd))


HYPER = dict(step=3, lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1)


@pytest.mark.parametrize("n", [1, 255, 1000])
@pytest.mark.parametrize("with_mask", [False, True])
def test_adamw_matches_the_formula_written_by_hand(backend, rng, n, with_mask):
    p, g, m, v = state(rng, n)
    mask = (rng.random(n) < 0.5).astype(np.uint8) if with_mask else None
    got = run_adamw(backend, p, g, m, v, mask=mask, **HYPER)
    want = adamw_by_hand(p, g, m, v, 3, 1e-2, 0.9, 0.95, 1e-8, 0.1, mask)
    for name, a, e in zip(("params", "m", "v"), got, want):
        assert_agree(a, e.astype(np.float32), name=name, rtol=1e-5, atol=1e-6)


def test_adamw_decays_only_where_the_mask_is_one(backend):
    # zero gradient and zero state: the only change is the weight decay
    p = np.ones(4, np.float32)
    z = np.zeros(4, np.float32)
    mask = np.array([1, 0, 1, 0], np.uint8)
    got, _, _ = run_adamw(backend, p, z, z.copy(), z.copy(), mask=mask, step=1, lr=0.5, weight_decay=0.2)
    assert_agree(got, np.array([0.9, 1.0, 0.9, 1.0], np.float32))


def test_ten_adamw_steps_on_a_quadratic_agree_with_numpy(backend, rng):
    # minimize 0.5 * sum(a * p^2): the gradient is a * p
    n = 50
    a = (rng.random(n) + 0.5).astype(np.float32)
    p0 = rng.standard_normal(n).astype(np.float32)
    results = {}
    for name, be in (("numpy", ref), (backend.name, backend)):
        p, m, v = (be.asarray(x.copy()) for x in (p0, np.zeros(n, np.float32), np.zeros(n, np.float32)))
        ad = be.asarray(a)
        for t in range(1, 11):
            g = be.asarray(be.to_numpy(ad) * be.to_numpy(p))
            be.adamw_update(p, g, m, v, t, 0.05, weight_decay=0.01)
        results[name] = be.to_numpy(p)
    assert_agree(results[backend.name], results["numpy"], rtol=1e-5, atol=1e-6)
    assert np.sum(a * results["numpy"] ** 2) < np.sum(a * p0 ** 2)  # it went downhill


def test_adamw_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    n = 64
    p, g, _, _ = state(rng, n)
    mask = (np.arange(n) % 2).astype(np.uint8)
    decayed = torch.nn.Parameter(torch.tensor(p[mask == 1]))
    kept = torch.nn.Parameter(torch.tensor(p[mask == 0]))
    opt = torch.optim.AdamW([{"params": [decayed], "weight_decay": 0.1},
                             {"params": [kept], "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    ours = [p.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32)]
    for t in range(1, 4):
        grad = (g * t).astype(np.float32)
        decayed.grad = torch.tensor(grad[mask == 1])
        kept.grad = torch.tensor(grad[mask == 0])
        opt.step()
        ref.adamw_update(ours[0], grad, ours[1], ours[2], t, 1e-2, 0.9, 0.95, 1e-8, 0.1, mask)
    assert_agree(ours[0][mask == 1], decayed.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert_agree(ours[0][mask == 0], kept.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [1, 255, 256, 257, 5000, 70000])
def test_grad_norm_matches_float64_reference(backend, rng, n):
    if backend.name == "emu" and n > 5000:
        pytest.skip("emulated tests stay small")
    g = rng.standard_normal(n).astype(np.float32)
    got = backend.grad_norm(backend.asarray(g))
    assert isinstance(got, float)
    assert got == pytest.approx(np.linalg.norm(g.astype(np.float64)), rel=1e-5)


def test_grad_norm_is_deterministic(backend, rng):
    g = backend.asarray(rng.standard_normal(3000).astype(np.float32))
    assert backend.grad_norm(g) == backend.grad_norm(g)


def test_grad_norm_of_empty_buffer_is_zero(backend):
    assert backend.grad_norm(backend.asarray(np.zeros(0, np.float32))) == 0.0


def test_scale_inplace_scales_every_value(backend, rng):
    x = rng.standard_normal(300).astype(np.float32)
    xd = backend.asarray(x.copy())
    assert backend.scale_inplace(xd, 0.25) is None
    assert_agree(backend.to_numpy(xd), x * np.float32(0.25))


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before(backend):
    g = backend.asarray(np.array([3.0, 4.0], np.float32))   # norm 5
    assert backend.clip_grad_norm(g, 1.0) == pytest.approx(5.0)
    assert_agree(backend.to_numpy(g), np.array([0.6, 0.8], np.float32), rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone(backend):
    g = backend.asarray(np.array([0.3, 0.4], np.float32))
    assert backend.clip_grad_norm(g, 1.0) == pytest.approx(0.5)
    assert_agree(backend.to_numpy(g), np.array([0.3, 0.4], np.float32))


# --- bad input -------------------------------------------------------------

def _bufs(be, n=4, **over):
    bufs = {k: be.asarray(np.zeros(n, np.float32)) for k in ("params", "grads", "m", "v")}
    bufs.update(over)
    return bufs


def _adamw(be, bufs, **kw):
    args = dict(step=1, lr=1e-3)
    args.update(kw)
    return be.adamw_update(bufs["params"], bufs["grads"], bufs["m"], bufs["v"], **args)


def test_adamw_rejects_float64_grads(backend):
    be = backend
    with pytest.raises(TypeError, match=r"adamw_update: argument 'grads' must have dtype float32"):
        _adamw(be, _bufs(be, grads=be.asarray(np.zeros(4))))


def test_adamw_rejects_state_of_another_size(backend):
    be = backend
    with pytest.raises(ValueError, match=r"adamw_update: argument 'v' must have shape \(P,\) = \(4,\) \(P as in 'params'\), got \(5,\)"):
        _adamw(be, _bufs(be, v=be.asarray(np.zeros(5, np.float32))))


def test_adamw_rejects_mask_of_wrong_dtype(backend):
    be = backend
    mask = be.asarray(np.ones(4, np.bool_))
    with pytest.raises(TypeError, match=r"adamw_update: argument 'decay_mask' must have dtype uint8, got bool"):
        _adamw(be, _bufs(be), decay_mask=mask)


def test_adamw_rejects_step_zero(backend):
    be = backend
    with pytest.raises(ValueError, match=r"adamw_update: argument 'step' must be in \[1, 2\^31\), got 0"):
        _adamw(be, _bufs(be), step=0)


def test_adamw_rejects_non_contiguous_params(backend):
    be = backend
    p = be.asarray(np.zeros(8, np.float32))[::2]
    with pytest.raises(ValueError, match=r"adamw_update: argument 'params' must be C-contiguous"):
        _adamw(be, _bufs(be, params=p))


def test_adamw_rejects_2d_params(backend):
    be = backend
    p = be.asarray(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"adamw_update: argument 'params' must have shape \(P,\) \(1 dimension\), got \(2, 2\)"):
        _adamw(be, _bufs(be, params=p))


def test_grad_norm_rejects_float64(backend):
    with pytest.raises(TypeError, match=r"grad_norm: argument 'grads' must have dtype float32"):
        backend.grad_norm(backend.asarray(np.zeros(3)))


def test_adamw_refuses_m_and_v_in_one_buffer(backend):
    be = backend
    p, g, m = (be.asarray(np.zeros(4, np.float32)) for _ in range(3))
    with pytest.raises(ValueError, match=r"adamw_update: arguments 'm' and 'v' must be different buffers"):
        be.adamw_update(p, g, m, m, 1, 1e-3)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("inf")])
def test_clip_grad_norm_refuses_a_max_norm_that_is_not_positive_and_finite(backend, max_norm):
    with pytest.raises(ValueError, match=r"clip_grad_norm: argument 'max_norm' must be"):
        backend.clip_grad_norm(backend.asarray(np.ones(3, np.float32)), max_norm)
