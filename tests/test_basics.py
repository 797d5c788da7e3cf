"""Chapter 00: axpy and rowsum agree across numpy, c, emu (and cuda)."""
import numpy as np
import pytest

import pystory
from pystory.testing import assert_agree

ref = pystory.backend("numpy")


@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 1000])
def test_axpy_matches_reference(backend, rng, n):
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    out = backend.axpy(1.5, backend.asarray(x), backend.asarray(y))
    assert_agree(out, ref.axpy(np.float32(1.5), x, y), name="axpy")


def test_axpy_leaves_inputs_unchanged(backend, rng):
    x = rng.standard_normal(100).astype(np.float32)
    y = rng.standard_normal(100).astype(np.float32)
    xd, yd = backend.asarray(x), backend.asarray(y)
    backend.axpy(2.0, xd, yd)
    assert_agree(backend.to_numpy(xd), x)
    assert_agree(backend.to_numpy(yd), y)


@pytest.mark.parametrize("shape", [(0, 5), (1, 1), (3, 1), (5, 33), (7, 300), (2, 1000)])
def test_rowsum_matches_reference(backend, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    assert_agree(backend.rowsum(backend.asarray(x)), ref.rowsum(x), name="rowsum")


@pytest.mark.parametrize("version", ["naive", "warp", "block"])
@pytest.mark.parametrize("shape", [(1, 1), (9, 31), (5, 257), (70, 64)])
def test_every_rowsum_kernel_matches_reference(gpu_backend, rng, version, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    out = gpu_backend.rowsum(gpu_backend.asarray(x), version=version)
    assert_agree(out, ref.rowsum(x), name=f"rowsum_{version}")


@pytest.mark.parametrize("version", ["naive", "warp", "block"])
def test_every_backend_accepts_every_rowsum_version(backend, version):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_agree(backend.rowsum(backend.asarray(x), version=version), ref.rowsum(x))


def test_rowsum_rejects_unknown_kernel_version(backend):
    with pytest.raises(ValueError, match=r"rowsum: argument 'version' must be one of \('naive', 'warp', 'block'\)"):
        backend.rowsum(backend.asarray(np.ones((2, 2), np.float32)), version="fast")


# --- bad input: the declaration is checked before C or CUDA ever sees a pointer ----

def test_axpy_rejects_float64(backend):
    x = backend.asarray(np.ones(4))
    with pytest.raises(TypeError, match=r"axpy: argument 'x' must have dtype float32, got float64"):
        backend.axpy(1.0, x, x)


def test_axpy_rejects_mismatched_lengths(backend):
    x = backend.asarray(np.ones(4, np.float32))
    y = backend.asarray(np.ones(5, np.float32))
    with pytest.raises(ValueError, match=r"axpy: argument 'y' must have shape \(N,\) = \(4,\) \(N as in 'x'\), got \(5,\)"):
        backend.axpy(1.0, x, y)


def test_axpy_rejects_non_contiguous_view(backend):
    x = backend.asarray(np.ones(8, np.float32))[::2]
    with pytest.raises(ValueError, match=r"axpy: argument 'x' must be C-contiguous"):
        backend.axpy(1.0, x, x)


def test_axpy_rejects_python_list(backend):
    with pytest.raises(TypeError, match=r"axpy: argument 'x' must be a"):
        backend.axpy(1.0, [1.0, 2.0], [1.0, 2.0])


def test_axpy_rejects_non_number_scalar(backend):
    x = backend.asarray(np.ones(4, np.float32))
    with pytest.raises(TypeError, match=r"axpy: argument 'a' must be a number"):
        backend.axpy("2", x, x)


def test_axpy_rejects_nan_scalar(backend):
    x = backend.asarray(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"axpy: argument 'a' must be finite"):
        backend.axpy(float("nan"), x, x)


def test_rowsum_rejects_1d_input(backend):
    x = backend.asarray(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"rowsum: argument 'x' must have shape \(R, C\) \(2 dimensions\), got \(4,\)"):
        backend.rowsum(x)


@pytest.mark.gpu
def test_c_backend_rejects_cupy_array():
    import cupy
    with pytest.raises(TypeError, match=r"axpy: argument 'x' must be a NumPy array.*cupy"):
        pystory.backend("c").axpy(1.0, cupy.ones(4, cupy.float32), cupy.ones(4, cupy.float32))


@pytest.mark.gpu
def test_cuda_backend_rejects_numpy_array():
    with pytest.raises(TypeError, match=r"axpy: argument 'x' must be a cupy array"):
        pystory.backend("cuda").axpy(1.0, np.ones(4, np.float32), np.ones(4, np.float32))


# --- the lesson of chapter 00: the declaration automates the hand-written binding ----

def _by_hand():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "chapters", "00_setup", "axpy_by_hand.py")
    spec = importlib.util.spec_from_file_location("axpy_by_hand", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.axpy


def test_the_hand_written_binding_computes_axpy():
    x, y = np.arange(5, dtype=np.float32), np.ones(5, np.float32)
    assert_agree(_by_hand()(2, x, y), 2 * x + y)


@pytest.mark.parametrize("args", [
    ("2", np.ones(3, np.float32), np.ones(3, np.float32)),
    (True, np.ones(3, np.float32), np.ones(3, np.float32)),
    (float("inf"), np.ones(3, np.float32), np.ones(3, np.float32)),
    (1.0, [1.0, 2.0], np.ones(2, np.float32)),
    (1.0, np.ones(3), np.ones(3, np.float32)),
    (1.0, np.ones((3, 1), np.float32), np.ones(3, np.float32)),
    (1.0, np.ones(3, np.float32), np.ones(4, np.float32)),
    (1.0, np.ones(6, np.float32)[::2], np.ones(3, np.float32)),
    (1.0, np.ones(3, np.float32), None),
], ids=["string", "bool", "inf", "list", "float64", "2-D", "lengths", "strided", "None"])
def test_the_declaration_refuses_what_the_hand_written_binding_refuses_with_the_same_message(args):
    errors = []
    for fn in (_by_hand(), pystory.backend("c").axpy):
        with pytest.raises((TypeError, ValueError)) as e:
            fn(*args)
        errors.append((e.type, str(e.value)))
    assert errors[0] == errors[1]
