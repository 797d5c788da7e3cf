"""The backend registry: one namespace of ops, identical names and signatures."""
import inspect
import subprocess
import sys

import pytest

import pystory
from pystory.backend import LAYERS


def positional_signature(fn):
    """Names of the parameters every backend must share (GPU-only keyword
    options such as a kernel `version=` are allowed beyond them)."""
    params = inspect.signature(fn).parameters.values()
    return [p.name for p in params if p.default is inspect.Parameter.empty]


def test_every_backend_has_the_same_ops(device_backend):
    assert device_backend.ops == pystory.backend("numpy").ops


def test_every_op_has_the_same_arguments_on_every_backend(device_backend):
    ref = pystory.backend("numpy")
    for op in ref.ops:
        assert positional_signature(getattr(device_backend, op)) == positional_signature(getattr(ref, op)), op


def test_every_layer_has_three_implementations():
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for layer in LAYERS:
        for path in (f"pystory/{layer}.py", f"pystory/c/{layer}.py", f"pystory/gpu/{layer}.py",
                     f"csrc/{layer}.c", f"csrc/{layer}.h", f"cuda/{layer}.cu"):
            assert os.path.exists(os.path.join(root, path)), path


def test_unknown_backend_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown backend 'tpu'.*numpy"):
        pystory.backend("tpu")


def test_cuda_backend_without_gpu_points_to_emu():
    ok, _ = pystory.availability()["cuda"]
    if ok:
        pytest.skip("a GPU is present")
    with pytest.raises(pystory.BackendUnavailable, match="emu"):
        pystory.backend("cuda")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "pystory", *args], capture_output=True, text=True, timeout=120)


def test_backends_command_lists_all_four():
    r = run_cli("backends")
    assert r.returncode == 0, r.stderr
    for name in ("numpy", "c", "cuda", "emu"):
        assert name in r.stdout


def test_doctor_reports_the_compiler_and_gpu():
    r = run_cli("doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "C compiler" in r.stdout and "GPU" in r.stdout and "OpenMP" in r.stdout


def test_unknown_command_exits_with_usage():
    r = run_cli("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr
