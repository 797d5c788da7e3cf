"""The backend registry: one namespace of ops, identical names and signatures, each op
checked by its declaration and returning what the declaration says."""
import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import pystory
from pystory.backend import LAYERS, REFERENCES, declarations
from pystory.check import Context, check_returns

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_backend_has_the_same_ops(device_backend):
    assert device_backend.ops == pystory.backend("numpy").ops


def test_every_op_has_the_same_signature_on_every_backend(device_backend):
    ref = pystory.backend("numpy")
    for op in ref.ops:
        assert inspect.signature(getattr(device_backend, op)) == inspect.signature(getattr(ref, op)), op


def test_a_kernel_version_is_a_keyword_every_backend_accepts(backend):
    for op in backend.ops:
        params = inspect.signature(getattr(backend, op)).parameters
        if "version" in params:
            assert params["version"].kind is inspect.Parameter.KEYWORD_ONLY, op


@pytest.mark.parametrize("op", sorted(declarations()))
def test_every_backend_returns_what_the_declaration_says(backend, op):
    decl = declarations()[op]
    args, sizes = decl.example(np.random.default_rng(0))
    args = [backend.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    k = decl.positional
    result = getattr(backend, op)(*args[:k], **dict(zip(decl.names[k:], args[k:])))
    check_returns(decl, result, dict(sizes), Context(backend.name, backend.xp))


def test_the_reference_stays_unchecked_and_dtype_generic():
    from pystory import layernorm
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    out, mean, rstd = layernorm.layernorm_forward(x, np.ones(3), np.zeros(3))   # float64: no checker
    assert out.dtype == np.float64
    with pytest.raises(TypeError, match="layernorm_forward: argument 'x' must have dtype float32"):
        pystory.backend("numpy").layernorm_forward(x, np.ones(3), np.zeros(3))


def test_every_op_is_declared():
    assert sorted(declarations()) == pystory.backend("numpy").ops


def test_every_layer_has_three_implementations():
    for layer in LAYERS:
        refs = [f"pystory/{m}.py" for m in REFERENCES.get(layer, (layer,))]
        for path in refs + [f"pystory/c/{layer}.py", f"pystory/gpu/{layer}.py",
                            f"csrc/{layer}.c", f"csrc/{layer}.h", f"cuda/{layer}.cu"]:
            assert os.path.exists(os.path.join(ROOT, path)), path


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


# --- layering: who may import whom ----------------------------------------------------------

def _imports(path):
    import ast
    with open(os.path.join(ROOT, path)) as f:
        tree = ast.parse(f.read())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out += [(node.module, a.name) for a in node.names]
    return out


def test_no_reference_module_imports_the_registry_that_loads_it():
    for layer in LAYERS:
        for m in REFERENCES.get(layer, (layer,)):
            for mod, name in _imports(f"pystory/{m}.py"):
                assert mod not in ("pystory", "pystory.backend"), f"pystory/{m}.py imports {mod}"


def test_the_gpu_bindings_never_import_the_c_backend_and_no_binding_imports_a_private_helper():
    import glob
    for path in glob.glob(os.path.join(ROOT, "pystory", "c", "*.py")) + \
            glob.glob(os.path.join(ROOT, "pystory", "gpu", "*.py")):
        rel = os.path.relpath(path, ROOT)
        for mod, name in _imports(rel):
            in_c = mod == "pystory.c" or mod.startswith("pystory.c.")
            assert not (rel.startswith("pystory/gpu") and in_c), f"{rel} imports {mod}"
            private = (name or "").startswith("_") and name != "_cpystory"   # the extension itself
            assert not private, f"{rel} imports the private {mod}.{name}"
