"""The CUDA kernels in cuda/*.cu, launched on a GPU (CuPy) or on the CPU (emulator).

A `Device` hides the one difference between the two: which array library holds
the data (CuPy or NumPy) and which RawModule compiles the source (NVRTC, or the
host C++ compiler). The kernel source, grid, block and arguments are the same, so
each layer's launches in pystory/gpu/<layer>.py serve both backends.
"""
import os

import numpy as np

from pystory.common import BackendUnavailable, find_cxx_compiler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CUDA_DIR = os.path.join(ROOT, "cuda")


class Device:
    def __init__(self, name, xp, raw_module):
        self.name = name          # "cuda" or "emu"
        self.xp = xp              # cupy or numpy: the arrays kernels read and write
        self._raw_module = raw_module
        self._modules, self._kernels = {}, {}

    def module(self, layer):
        """cuda/<layer>.cu, compiled once per process (and cached on disk by CuPy/emu)."""
        if layer not in self._modules:
            path = os.path.join(CUDA_DIR, layer + ".cu")
            with open(path) as f:
                code = f.read()
            self._modules[layer] = self._raw_module(code=code, options=("-I" + CUDA_DIR, "--std=c++17"))
        return self._modules[layer]

    def kernel(self, layer, name):
        """Kernel `name` of cuda/<layer>.cu, called as CuPy's are: k(grid, block, args, shared_mem=0).
        A grid with no blocks launches nothing (CUDA would refuse it): an op on an empty array
        needs no special case."""
        if (layer, name) not in self._kernels:
            k = self.module(layer).get_function(name)
            self._kernels[layer, name] = lambda grid, block, args, shared_mem=0: \
                None if 0 in grid else k(grid, block, args, shared_mem=shared_mem)
        return self._kernels[layer, name]


def blocks(n, per_block):
    """Number of blocks of `per_block` threads that cover n items (ceil division)."""
    return (n + per_block - 1) // per_block


def cuda_device():
    try:
        import cupy
    except ImportError:
        raise BackendUnavailable(
            "cuda backend: CuPy is not installed (pip install -e '.[cuda]' on a machine with an "
            "NVIDIA GPU). Without a GPU, use the 'emu' backend: it runs the same kernels on the CPU.") from None
    count, why = 0, "no device found"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken
        why = str(e)
    if count == 0:
        raise BackendUnavailable(f"cuda backend: no usable NVIDIA GPU ({why}). "
                                 "Use the 'emu' backend to run the same kernels on the CPU.")
    return Device("cuda", cupy, cupy.RawModule)


def emu_device():
    if find_cxx_compiler() is None:
        raise BackendUnavailable("emu backend: no C++ compiler found (install g++ or clang++, or set CXX)")
    from pystory import emu
    return Device("emu", np, emu.RawModule)
