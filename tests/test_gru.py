"""Chapter 04: the GRU, forward and backprop through time, agrees on numpy, c, emu (and cuda)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pystory
from pystory import gru as G
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")
VERSIONS = ["steps", "fused", "persistent"]

# (B, T, I, H): length 1, a few steps, sizes that are no multiple of a tile or of BB = 4,
# no input features at all, and an empty sequence
SHAPES = [(1, 1, 1, 1), (2, 4, 3, 5), (5, 3, 7, 33), (6, 2, 0, 3), (3, 0, 2, 4), (9, 6, 4, 40)]


def make(rng, B, T, I, H, scale=None):
    """Inputs with torch.nn.GRU's initialisation, U(-1/sqrt(H), 1/sqrt(H)): the state stays in (-1, 1)."""
    k = scale if scale is not None else 1 / np.sqrt(H)
    u = lambda *s: rng.uniform(-k, k, s).astype(np.float32)  # noqa: E731
    x = rng.standard_normal((B, T, I)).astype(np.float32)
    return x, u(B, H), u(3 * H, I), u(3 * H, H), u(3 * H), u(3 * H)


def on(be, arrays):
    return [be.asarray(a) for a in arrays]


def run(be, args, dout, **kw):
    out, cache = be.gru_forward(*on(be, args), **kw)
    return out, cache, be.gru_backward(be.asarray(dout), cache, **kw)


NAMES = ("dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh")


@pytest.mark.parametrize("shape", SHAPES)
def test_gru_forward_matches_reference(backend, rng, shape):
    args = make(rng, *shape)
    out, cache = backend.gru_forward(*on(backend, args))
    want, want_cache = ref.gru_forward(*args)
    assert_agree(out, want, name="out")
    assert_agree(cache[5], want_cache[5], name="gates")


@pytest.mark.parametrize("shape", SHAPES)
def test_gru_backward_matches_reference(backend, rng, shape):
    args = make(rng, *shape)
    dout = rng.standard_normal(shape[:2] + shape[3:]).astype(np.float32)
    _, _, got = run(backend, args, dout)
    _, _, want = run(ref, args, dout)
    for name, g, e in zip(NAMES, got, want):
        assert_agree(g, e, name=name, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 4, 3, 5), (5, 3, 7, 33), (9, 6, 4, 40)])
def test_every_cuda_version_matches_reference(gpu_backend, rng, version, shape):
    args = make(rng, *shape)
    dout = rng.standard_normal(shape[:2] + shape[3:]).astype(np.float32)
    out, cache, grads = run(gpu_backend, args, dout, version=version)
    want_out, want_cache, want = run(ref, args, dout)
    assert_agree(out, want_out, name=f"{version} out")
    assert_agree(cache[5], want_cache[5], name=f"{version} gates")
    for name, g, e in zip(NAMES, grads, want):
        assert_agree(g, e, name=f"{version} {name}", rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("schedule", ["reverse", "shuffle"])
@pytest.mark.parametrize("version", VERSIONS)
def test_cuda_versions_have_no_race_under_other_thread_orders(rng, schedule, version):
    # the emulator runs a block's threads in another order between barriers: a
    # missing __syncthreads in the persistent kernels would change the result
    from pystory import emu
    be = pystory.backend("emu")
    args = make(rng, 5, 4, 3, 37)
    dout = rng.standard_normal((5, 4, 37)).astype(np.float32)
    want_out, _, want = run(ref, args, dout)
    with emu.schedule(schedule, seed=3) if schedule == "shuffle" else emu.schedule(schedule):
        out, _, grads = run(be, args, dout, version=version)
    assert_agree(out, want_out, name="out")
    for name, g, e in zip(NAMES, grads, want):
        assert_agree(g, e, name=name, rtol=1e-4, atol=1e-5)


def test_gru_backward_matches_finite_differences(rng):
    B, T, I, H = 2, 4, 3, 5
    x = rng.standard_normal((B, T, I))
    h0, w_ih, w_hh, b_ih, b_hh = (rng.uniform(-0.6, 0.6, s) for s in ((B, H), (3 * H, I), (3 * H, H),
                                                                      (3 * H,), (3 * H,)))
    g = rng.standard_normal((B, T, H))
    _, cache = G.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    grads = G.gru_backward(g, cache)
    inputs = dict(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh)
    check_grad(lambda: np.sum(G.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)[0] * g),
               inputs, dict(zip(inputs, grads)))


def test_the_forward_is_the_cell_applied_step_by_step(rng):
    # one call over T steps == T calls of one step, each starting from the last state
    args = make(rng, 3, 5, 4, 6)
    x, h, rest = args[0], args[1], args[2:]
    out, _ = ref.gru_forward(*args)
    for t in range(5):
        step, _ = ref.gru_forward(np.ascontiguousarray(x[:, t:t + 1]), h, *rest)
        h = np.ascontiguousarray(step[:, 0])
        assert_agree(h, out[:, t], name=f"step {t}")


def test_a_closed_update_gate_copies_the_state_forward(backend, rng):
    # z = sigmoid(large) = 1: h' = z h + (1 - z) n = h at every step, whatever the input
    B, T, I, H = 2, 6, 3, 4
    x, h0, w_ih, w_hh, b_ih, b_hh = make(rng, B, T, I, H)
    b_ih = b_ih.copy()
    b_ih[H:2 * H] = 40.0
    w_ih[H:2 * H] = 0
    w_hh[H:2 * H] = 0
    out, _ = backend.gru_forward(*on(backend, (x, h0, w_ih, w_hh, b_ih, b_hh)))
    assert_agree(out, np.repeat(h0[:, None], T, axis=1), name="out")


def test_a_state_that_starts_in_minus_one_one_stays_there(backend, rng):
    # h' = (1 - z) n + z h is a convex combination of n = tanh(...) and h, even with large weights
    x, _, *weights = make(rng, 4, 20, 5, 8, scale=3.0)
    h0 = rng.uniform(-0.99, 0.99, (4, 8)).astype(np.float32)
    out, _ = backend.gru_forward(*on(backend, [x, h0] + weights))
    assert np.abs(backend.to_numpy(out)).max() < 1


def test_an_empty_sequence_has_no_outputs_and_no_gradient_for_h0(backend, rng):
    args = make(rng, 3, 0, 2, 4)
    out, cache = backend.gru_forward(*on(backend, args))
    grads = backend.gru_backward(backend.asarray(np.zeros((3, 0, 4), np.float32)), cache)
    assert backend.to_numpy(out).shape == (3, 0, 4)
    for name, g in zip(NAMES, grads):
        assert not backend.to_numpy(g).any(), name


def test_c_results_do_not_depend_on_the_thread_count(tmp_path):
    # exact --resume needs bit-identical results: threads own batch rows, sums keep their order
    code = ("import numpy as np, pystory, sys\n"
            "rng = np.random.default_rng(1); k = 1 / 16\n"
            "u = lambda *s: rng.uniform(-k, k, s).astype(np.float32)\n"
            "be = pystory.backend('c')\n"
            "out, cache = be.gru_forward(u(32, 8, 24), u(32, 256), u(768, 24), u(768, 256), u(768), u(768))\n"
            "grads = be.gru_backward(u(32, 8, 256), cache)\n"
            "np.save(sys.argv[1], np.concatenate([a.ravel() for a in (out,) + grads]))\n")
    results = []
    for threads in ("1", "2"):
        path = str(tmp_path / f"t{threads}.npy")
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        r = subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        results.append(np.load(path))
    assert results[0].tobytes() == results[1].tobytes()


def test_the_c_cell_written_as_plain_loops_is_the_first_step_of_the_sequence(rng):
    # csrc/gru_cell.c's gru_cell_forward (the spec in C, and the homework's reference)
    from pystory.c import ext, ptr
    B, I, H = 3, 5, 7
    x, h0, w_ih, w_hh, b_ih, b_hh = make(rng, B, 1, I, H)
    h_new = np.full((B, H), np.nan, np.float32)
    ext().lib.gru_cell_forward(ptr(h_new), ptr(np.ascontiguousarray(x[:, 0])), ptr(h0), ptr(w_ih), ptr(w_hh),
                               ptr(b_ih), ptr(b_hh), B, I, H)
    out, _ = pystory.backend("c").gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    assert_agree(h_new, out[:, 0], name="h_new")


# --- bad input (the declaration tests cover every argument) -----------------------------------

def test_gru_rejects_recurrent_weights_of_the_wrong_shape(backend, rng):
    x, h0, w_ih, w_hh, b_ih, b_hh = on(backend, make(rng, 2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"gru_forward: argument 'w_hh' must have shape \(3H, H\) = \(15, 5\)"):
        backend.gru_forward(x, h0, w_ih, w_ih, b_ih, b_hh)


def test_gru_backward_rejects_a_cache_of_another_sequence(backend, rng):
    _, cache = backend.gru_forward(*on(backend, make(rng, 2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"gru_backward: argument 'cache' item 0 \('x'\) must have shape \(B, T, I\) = \(2, 4, I\)"):
        backend.gru_backward(backend.asarray(np.zeros((2, 4, 5), np.float32)), cache)


def test_the_persistent_version_refuses_a_state_too_big_for_shared_memory(gpu_backend, rng):
    args = on(gpu_backend, make(rng, 1, 1, 1, 769))
    with pytest.raises(ValueError, match=r"gru_forward: version 'persistent' supports H <= 768"):
        gpu_backend.gru_forward(*args, version="persistent")


# --- the peer ---------------------------------------------------------------------------------

def test_gru_equals_torch_nn_gru_and_its_autograd(rng):
    torch = pytest.importorskip("torch")
    B, T, I, H = 3, 7, 5, 6
    x, h0, w_ih, w_hh, b_ih, b_hh = make(rng, B, T, I, H)
    dout = rng.standard_normal((B, T, H)).astype(np.float32)
    m = torch.nn.GRU(I, H, batch_first=True)
    with torch.no_grad():
        for p, v in ((m.weight_ih_l0, w_ih), (m.weight_hh_l0, w_hh), (m.bias_ih_l0, b_ih), (m.bias_hh_l0, b_hh)):
            p.copy_(torch.tensor(v))
    tx = torch.tensor(x, requires_grad=True)
    th = torch.tensor(h0)[None].requires_grad_()
    tout, hT = m(tx, th)
    tout.backward(torch.tensor(dout))
    out, _, grads = run(ref, (x, h0, w_ih, w_hh, b_ih, b_hh), dout)
    assert_agree(out, tout.detach().numpy(), name="out")
    assert_agree(out[:, -1], hT[0].detach().numpy(), name="last state")
    want = (tx.grad, th.grad[0], m.weight_ih_l0.grad, m.weight_hh_l0.grad, m.bias_ih_l0.grad, m.bias_hh_l0.grad)
    for name, g, e in zip(NAMES, grads, want):
        assert_agree(g, e.numpy(), name=name, rtol=1e-4, atol=1e-5)
