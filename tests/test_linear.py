"""Chapter 06 (and 04): the linear layer agrees across numpy, c, emu (and cuda)."""
import numpy as np
import pytest

import pystory
from pystory import linear as L
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")
VERSIONS = ["naive", "tiled", "regblock"]

# (N, C, OC): not multiples of any tile, plus length-1 edges. (40, 64, 48) has
# every size a multiple of 4, so regblock's float4 loads run; (130, 36, 20)
# crosses regblock's 128-row tile. The C forward takes its matrix-vector path below
# 8 rows: (7, 300, 33) is the last size on it, (8, 300, 33) the first on the blocked path.
SHAPES = [(1, 1, 1), (1, 7, 5), (5, 1, 3), (7, 300, 33), (8, 300, 33), (37, 70, 50), (40, 64, 48), (130, 36, 20)]


def make(rng, N, C, OC, lead=None):
    shape = (N, C) if lead is None else lead + (C,)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((OC, C)) / np.sqrt(C)).astype(np.float32)
    b = rng.standard_normal(OC).astype(np.float32)
    return x, w, b


def tol(C):
    # float32 sums of C products: the error grows with C
    return dict(rtol=1e-4, atol=1e-5 * max(C, 1) ** 0.5 * 4)


@pytest.mark.parametrize("N,C,OC", SHAPES)
def test_linear_forward_matches_reference(backend, rng, N, C, OC):
    x, w, b = make(rng, N, C, OC)
    out = backend.linear_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))
    assert_agree(out, ref.linear_forward(x, w, b), name="linear_forward", **tol(C))


@pytest.mark.parametrize("N", [2, 9])
def test_linear_forward_without_bias(backend, rng, N):
    x, w, _ = make(rng, N, 13, 11)
    out = backend.linear_forward(backend.asarray(x), backend.asarray(w), None)
    assert_agree(out, x @ w.T, name="linear_forward(b=None)", **tol(13))


def test_linear_forward_keeps_leading_dims(backend, rng):
    x, w, b = make(rng, None, 6, 5, lead=(2, 3))   # x: (B, T, C) = (2, 3, 6)
    out = backend.linear_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))
    assert out.shape == (2, 3, 5)
    assert_agree(out, ref.linear_forward(x, w, b), name="linear_forward (B, T, C)")


@pytest.mark.parametrize("N,C,OC", SHAPES)
def test_linear_backward_matches_reference(backend, rng, N, C, OC):
    x, w, _ = make(rng, N, C, OC)
    dout = rng.standard_normal((N, OC)).astype(np.float32)
    got = backend.linear_backward(backend.asarray(dout), backend.asarray(x), backend.asarray(w))
    want = ref.linear_backward(dout, x, w)
    for name, g, e, k in zip(("dx", "dw", "db"), got, want, (OC, N, N)):
        assert_agree(g, e, name=f"linear_backward {name}", **tol(k))


def test_linear_backward_keeps_leading_dims(backend, rng):
    x, w, _ = make(rng, None, 6, 5, lead=(2, 3))
    dout = rng.standard_normal((2, 3, 5)).astype(np.float32)
    dx, dw, db = backend.linear_backward(backend.asarray(dout), backend.asarray(x), backend.asarray(w))
    assert dx.shape == (2, 3, 6) and dw.shape == (5, 6) and db.shape == (5,)
    for g, e in zip((dx, dw, db), ref.linear_backward(dout, x, w)):
        assert_agree(g, e)


@pytest.mark.parametrize("N,C,OC", [(0, 3, 4), (3, 0, 4), (3, 4, 0)])
def test_linear_with_an_empty_dimension_gives_empty_or_zero_results(backend, N, C, OC):
    x, w = np.ones((N, C), np.float32), np.ones((OC, C), np.float32)
    b, dout = np.ones(OC, np.float32), np.ones((N, OC), np.float32)
    out = backend.linear_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))
    assert_agree(out, np.ones((N, OC), np.float32))   # C == 0: an empty sum, plus the bias
    dx, dw, db = backend.linear_backward(backend.asarray(dout), backend.asarray(x), backend.asarray(w))
    assert_agree(dx, np.zeros((N, C), np.float32))
    assert_agree(dw, np.zeros((OC, C), np.float32))
    assert_agree(db, np.full(OC, N, np.float32))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("N,C,OC", [(1, 1, 1), (37, 70, 50), (40, 64, 48), (130, 36, 20), (17, 132, 3)])
def test_every_linear_kernel_matches_reference(gpu_backend, rng, version, N, C, OC):
    be = gpu_backend
    x, w, b = make(rng, N, C, OC)
    dout = rng.standard_normal((N, OC)).astype(np.float32)
    out = be.linear_forward(be.asarray(x), be.asarray(w), be.asarray(b), version=version)
    assert_agree(out, ref.linear_forward(x, w, b), name=f"linear_forward {version}", **tol(C))
    got = be.linear_backward(be.asarray(dout), be.asarray(x), be.asarray(w), version=version)
    for name, g, e, k in zip(("dx", "dw", "db"), got, ref.linear_backward(dout, x, w), (OC, N, N)):
        assert_agree(g, e, name=f"linear_backward {name} {version}", **tol(k))


@pytest.mark.parametrize("version", ["naive", "tiled", "regblock"])
def test_every_backend_accepts_every_linear_version(backend, rng, version):
    x, w = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((2, 4)).astype(np.float32)
    out = backend.linear_forward(backend.asarray(x), backend.asarray(w), None, version=version)
    assert_agree(out, x @ w.T, name=f"linear_forward {version}")


def test_linear_rejects_unknown_kernel_version(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"linear_forward: argument 'version' must be one of \('naive', 'tiled', 'regblock'\)"):
        backend.linear_forward(x, w, None, version="fast")


def test_linear_backward_gradients_match_finite_differences(rng):
    # loss = sum(out * g) for a fixed random g, so d loss / d out = g
    x = rng.standard_normal((4, 5))
    w = rng.standard_normal((3, 5))
    b = rng.standard_normal(3)
    g = rng.standard_normal((4, 3))
    dx, dw, db = L.linear_backward(g, x, w)
    check_grad(lambda: np.sum(L.linear_forward(x, w, b) * g),
               {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db})


# --- bad input -------------------------------------------------------------

def test_linear_forward_rejects_float64_input(backend):
    x = backend.asarray(np.ones((2, 3)))
    w = backend.asarray(np.ones((4, 3), np.float32))
    with pytest.raises(TypeError, match=r"linear_forward: argument 'x' must have dtype float32, got float64"):
        backend.linear_forward(x, w, None)


def test_linear_forward_rejects_mismatched_channels(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones((4, 5), np.float32))
    with pytest.raises(ValueError, match=r"linear_forward: argument 'w' must have shape \(OC, C\) = \(4, 3\) \(C as in 'x'\), got \(4, 5\)"):
        backend.linear_forward(x, w, None)


def test_linear_forward_rejects_wrong_bias_shape(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones((4, 3), np.float32))
    b = backend.asarray(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"linear_forward: argument 'b' must have shape \(OC,\) = \(4,\) \(OC as in 'w'\), got \(3,\)"):
        backend.linear_forward(x, w, b)


def test_linear_forward_rejects_transposed_weight_view(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones((3, 4), np.float32)).T   # (4, 3) but not contiguous
    with pytest.raises(ValueError, match=r"linear_forward: argument 'w' must be C-contiguous"):
        backend.linear_forward(x, w, None)


def test_linear_backward_rejects_wrong_dout_shape(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    w = backend.asarray(np.ones((4, 3), np.float32))
    dout = backend.asarray(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"linear_backward: argument 'w' must have shape \(OC, C\) = \(5, 3\) \(OC as in 'dout'; C as in 'x'\), got \(4, 3\)"):
        backend.linear_backward(dout, x, w)
