"""Chapter 05: conv1d over time and max-over-time pooling agree across numpy, c, emu (and cuda),
match PyTorch, and their NumPy backwards match finite differences."""
import numpy as np
import pytest

import pystory
from pystory import conv1d as ref_mod
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")

# (B, T, Cin, Cout, K): sizes that are not multiples of the 16 x 16 tile, length-1 outputs, K = 1
CONV_SHAPES = [(1, 1, 1, 1, 1), (2, 5, 3, 4, 5), (3, 20, 17, 18, 2), (2, 37, 33, 5, 4), (1, 9, 64, 40, 3)]


def make(rng, B, T, Cin, Cout, K):
    x = rng.standard_normal((B, T, Cin)).astype(np.float32)
    w = (rng.standard_normal((Cout, Cin, K)) / np.sqrt(Cin * K)).astype(np.float32)
    b = rng.standard_normal(Cout).astype(np.float32)
    return x, w, b


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv1d_forward_matches_reference(backend, rng, shape):
    x, w, b = make(rng, *shape)
    out, _ = backend.conv1d_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))
    assert_agree(out, ref.conv1d_forward(x, w, b)[0], rtol=1e-4, atol=1e-5, name="conv1d_forward")


@pytest.mark.parametrize("version", ["naive", "tiled"])
@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_every_version_of_conv1d_forward_matches_reference(device_backend, rng, shape, version):
    x, w, b = make(rng, *shape)
    be = device_backend
    out, _ = be.conv1d_forward(be.asarray(x), be.asarray(w), be.asarray(b), version=version)
    assert_agree(out, ref.conv1d_forward(x, w, b)[0], rtol=1e-4, atol=1e-5, name=f"conv1d_forward {version}")


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv1d_backward_matches_reference(backend, rng, shape):
    x, w, b = make(rng, *shape)
    out, cache = ref.conv1d_forward(x, w, b)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    be = backend
    got = be.conv1d_backward(be.asarray(dout), (be.asarray(x), be.asarray(w)))
    for name, g, e in zip(("dx", "dw", "db"), got, ref.conv1d_backward(dout, cache)):
        assert_agree(g, e, rtol=1e-4, atol=1e-4, name=f"conv1d_backward {name}")


def test_conv1d_of_an_empty_batch_is_empty(backend):
    x = backend.asarray(np.zeros((0, 6, 3), np.float32))
    w = backend.asarray(np.ones((4, 3, 2), np.float32))
    b = backend.asarray(np.ones(4, np.float32))
    out, cache = backend.conv1d_forward(x, w, b)
    assert out.shape == (0, 5, 4)
    dx, dw, db = backend.conv1d_backward(out, cache)
    assert dx.shape == (0, 6, 3)
    assert_agree(dw, np.zeros((4, 3, 2), np.float32))
    assert_agree(db, np.zeros(4, np.float32))


def test_conv1d_with_no_input_channels_is_the_bias(backend):
    x = backend.asarray(np.zeros((2, 4, 0), np.float32))
    w = backend.asarray(np.zeros((3, 0, 2), np.float32))
    b = np.arange(3, dtype=np.float32)
    out, _ = backend.conv1d_forward(x, w, backend.asarray(b))
    assert_agree(out, np.broadcast_to(b, (2, 3, 3)))


def test_a_width_one_conv1d_is_a_linear_layer_per_position(backend, rng):
    x, w, b = make(rng, 2, 7, 5, 3, 1)
    out, _ = backend.conv1d_forward(backend.asarray(x), backend.asarray(w), backend.asarray(b))
    assert_agree(out, x @ w[:, :, 0].T + b, rtol=1e-5, atol=1e-5)


def test_conv1d_backward_gradients_match_finite_differences(rng):
    x = rng.standard_normal((2, 6, 3))
    w = rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(4)
    g = rng.standard_normal((2, 4, 4))
    out, cache = ref_mod.conv1d_forward(x, w, b)
    assert out.dtype == np.float64
    dx, dw, db = ref_mod.conv1d_backward(g, cache)
    check_grad(lambda: np.sum(ref_mod.conv1d_forward(x, w, b)[0] * g),
               {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db})


def test_conv1d_equals_torch(backend, rng):
    torch = pytest.importorskip("torch")
    x, w, b = make(rng, 3, 19, 6, 5, 4)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.conv1d(xt.transpose(1, 2), wt, bt).transpose(1, 2)
    dout = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dout))
    be = backend
    out, cache = be.conv1d_forward(be.asarray(x), be.asarray(w), be.asarray(b))
    assert_agree(out, yt.detach().numpy(), rtol=1e-4, atol=1e-5, name="out vs torch")
    dx, dw, db = be.conv1d_backward(be.asarray(dout), cache)
    assert_agree(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4, name="dx vs torch")
    assert_agree(dw, wt.grad.numpy(), rtol=1e-4, atol=1e-4, name="dw vs torch")
    assert_agree(db, bt.grad.numpy(), rtol=1e-4, atol=1e-4, name="db vs torch")


def test_conv1d_refuses_a_sequence_shorter_than_the_kernel(backend):
    x = backend.asarray(np.zeros((1, 2, 3), np.float32))
    w = backend.asarray(np.zeros((4, 3, 5), np.float32))
    b = backend.asarray(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"conv1d_forward: argument 'x' has T = 2 time steps, fewer than "
                                         r"the kernel width K = 5"):
        backend.conv1d_forward(x, w, b)


def test_conv1d_refuses_weights_with_other_input_channels(backend):
    x = backend.asarray(np.zeros((1, 6, 3), np.float32))
    w = backend.asarray(np.zeros((4, 2, 2), np.float32))
    b = backend.asarray(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"conv1d_forward: argument 'w' must have shape \(Cout, Cin, K\) = "
                                         r"\(4, 3, K\) \(Cin as in 'x'\), got \(4, 2, 2\)"):
        backend.conv1d_forward(x, w, b)


def test_conv1d_backward_refuses_a_gradient_of_the_wrong_length(backend):
    x = backend.asarray(np.zeros((1, 6, 3), np.float32))
    w = backend.asarray(np.zeros((4, 3, 2), np.float32))
    dout = backend.asarray(np.zeros((1, 6, 4), np.float32))
    with pytest.raises(ValueError, match=r"conv1d_backward: argument 'dout' must have T - K \+ 1 = 5 positions"):
        backend.conv1d_backward(dout, (x, w))


# --- max over time -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 5, 3), (3, 40, 70), (4, 1, 33)])
def test_maxpool_time_forward_matches_reference(backend, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    out, argmax = backend.maxpool_time_forward(backend.asarray(x))
    e_out, e_arg = ref.maxpool_time_forward(x)
    assert_agree(out, e_out, name="out")
    assert_agree(argmax, e_arg, name="argmax")
    assert_agree(out, x.max(axis=1), name="out is the max")


def test_maxpool_time_picks_the_first_of_tied_maxima(backend):
    x = np.array([[[1.0, 5.0], [3.0, 5.0], [3.0, 2.0]]], np.float32)       # (1, 3, 2)
    out, argmax = backend.maxpool_time_forward(backend.asarray(x))
    assert_agree(out, np.array([[3.0, 5.0]], np.float32))
    assert_agree(argmax, np.array([[1, 0]], np.int32))


def test_maxpool_time_treats_nan_as_the_maximum_like_numpy(backend):
    x = np.array([[[1.0], [np.nan], [7.0]]], np.float32)
    out, argmax = backend.maxpool_time_forward(backend.asarray(x))
    assert_agree(argmax, np.array([[1]], np.int32))
    assert np.isnan(backend.to_numpy(out)[0, 0])


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 5, 3), (3, 40, 70)])
def test_maxpool_time_backward_matches_reference(backend, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    _, argmax = ref.maxpool_time_forward(x)
    dout = rng.standard_normal((shape[0], shape[2])).astype(np.float32)
    dx = backend.maxpool_time_backward(backend.asarray(dout), backend.asarray(argmax), shape[1])
    assert_agree(dx, ref.maxpool_time_backward(dout, argmax, shape[1]))
    assert_agree(backend.to_numpy(dx).sum(axis=1), dout, name="each gradient goes to one position")


def test_maxpool_time_backward_gradients_match_finite_differences(rng):
    x = rng.standard_normal((2, 5, 3))            # distinct values: the max is differentiable
    g = rng.standard_normal((2, 3))
    _, argmax = ref_mod.maxpool_time_forward(x)
    dx = ref_mod.maxpool_time_backward(g, argmax, 5)
    check_grad(lambda: np.sum(ref_mod.maxpool_time_forward(x)[0] * g), {"x": x}, {"x": dx})


def test_maxpool_time_equals_torch(backend, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 17, 6)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = xt.max(dim=1).values
    dout = rng.standard_normal((3, 6)).astype(np.float32)
    yt.backward(torch.tensor(dout))
    out, argmax = backend.maxpool_time_forward(backend.asarray(x))
    assert_agree(out, yt.detach().numpy())
    assert_agree(backend.maxpool_time_backward(backend.asarray(dout), argmax, 17), xt.grad.numpy())


def test_maxpool_time_refuses_an_empty_sequence(backend):
    with pytest.raises(ValueError, match=r"maxpool_time_forward: argument 'x' must have at least one time step"):
        backend.maxpool_time_forward(backend.asarray(np.zeros((2, 0, 3), np.float32)))


def test_maxpool_time_backward_refuses_an_argmax_past_the_end(backend):
    dout = backend.asarray(np.zeros((1, 2), np.float32))
    argmax = backend.asarray(np.array([[0, 4]], np.int32))
    with pytest.raises(ValueError,
                       match=r"maxpool_time_backward: argument 'argmax' holds 4, outside \[0, T\) = \[0, 4\)"):
        backend.maxpool_time_backward(dout, argmax, 4)
