"""Fixtures shared by every test: the backends, and GPU handling.

`backend` runs a test once per backend: numpy, c, emu, and cuda when a GPU
is present (those runs carry the `gpu` marker). `device_backend` is the same
without numpy, for binding checks (bad input) that the NumPy reference does
not make.
"""
import numpy as np
import pytest

import pystory
from pystory.c import BackendUnavailable


def pytest_addoption(parser):
    parser.addoption("--require-gpu", action="store_true",
                     help="fail, rather than skip, the gpu tests when no GPU is usable")


def pytest_collection_modifyitems(config, items):
    ok, why = gpu_status()
    if ok:
        return
    if config.getoption("--require-gpu"):
        raise pytest.UsageError(f"--require-gpu: {why}")
    skip = pytest.mark.skip(reason=f"no GPU: {why}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


_gpu = None


def gpu_status():
    global _gpu
    if _gpu is None:
        try:
            pystory.backend("cuda")
            _gpu = (True, "")
        except BackendUnavailable as e:
            _gpu = (False, str(e))
    return _gpu


BACKEND_PARAMS = ["numpy", "c", "emu", pytest.param("cuda", marks=pytest.mark.gpu)]
DEVICE_PARAMS = ["c", "emu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request):
    return pystory.backend(request.param)


@pytest.fixture(params=DEVICE_PARAMS)
def device_backend(request):
    return pystory.backend(request.param)


@pytest.fixture(params=["emu", pytest.param("cuda", marks=pytest.mark.gpu)])
def gpu_backend(request):
    """The backends that run cuda/*.cu: the emulator always, a real GPU when present."""
    return pystory.backend(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
