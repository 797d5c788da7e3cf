"""Chapter 00 homework: what `make grade CH=00` checks.

Each check yields (case name, thunk); a thunk raises when the learner's
code disagrees with the NumPy reference. Inputs are filled with NaN-free
random numbers; outputs start as NaN so that "did nothing" never passes.
"""
import numpy as np

from pystory.grading import Task, array_module
from pystory.testing import assert_agree


def check_rowsum_python(rowsum):
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (3, 5), (0, 4), (64, 100)]:
        x = rng.standard_normal(shape).astype(np.float32)
        yield f"shape {shape}", lambda x=x: assert_agree(np.asarray(rowsum(x)), x.sum(axis=1), name="rowsum")
    x64 = rng.standard_normal((4, 7))
    yield "float64 input", lambda: assert_agree(np.asarray(rowsum(x64)), x64.sum(axis=1), name="rowsum")


def check_axpy_c(c):
    rng = np.random.default_rng(1)
    for n in [1, 7, 1000, 300_000]:
        x = rng.standard_normal(n).astype(np.float32)
        y = rng.standard_normal(n).astype(np.float32)

        def case(x=x, y=y, n=n):
            out = np.full(n, np.nan, np.float32)
            c.fn(c.ptr(out), 0.5, c.ptr(x), c.ptr(y), n)
            assert_agree(out, np.float32(0.5) * x + y, name="axpy")
        yield f"n = {n}", case


def check_rowsum_warp_cuda(module):
    from pystory import emu
    xp = array_module(module)
    kernel = module.get_function("rowsum_warp_kernel")
    rng = np.random.default_rng(2)
    warps = 4  # rows per block: the block has 4 warps of 32 threads
    for shape in [(1, 1), (5, 33), (9, 100), (3, 1000)]:
        x = rng.standard_normal(shape).astype(np.float32)

        def case(x=x):
            R, C = x.shape
            out = xp.full(R, np.nan, np.float32)
            kernel(((R + warps - 1) // warps,), (32 * warps,), (out, xp.asarray(x), np.int32(R), np.int32(C)))
            assert_agree(out, x.sum(axis=1), name="rowsum_warp_kernel")
        yield f"shape {shape}", case
    if xp is np:
        def reversed_order():
            with emu.schedule("reverse"):
                x = rng.standard_normal((6, 70)).astype(np.float32)
                out = np.full(6, np.nan, np.float32)
                kernel((2,), (32 * warps,), (out, x, np.int32(6), np.int32(70)))
                assert_agree(out, x.sum(axis=1), name="rowsum_warp_kernel")
        yield "threads scheduled in reverse order", reversed_order


TASKS = [
    Task(name="rowsum in NumPy", lang="python", stub="rowsum.py", symbol="rowsum",
         reference="pystory/basics.py", check=check_rowsum_python, points=2,
         hint="one NumPy call over axis 1; keep the input's dtype"),
    Task(name="axpy in C with OpenMP", lang="c", stub="axpy.c", symbol="axpy",
         reference="csrc/basics.c", check=check_axpy_c, points=3,
         cdecl="void axpy(float* out, float a, const float* x, const float* y, int n);",
         hint="a for loop over i < n with `#pragma omp parallel for`"),
    Task(name="rowsum_warp_kernel in CUDA", lang="cuda", stub="rowsum_warp.cu", symbol="rowsum_warp_kernel",
         reference="cuda/basics.cu", check=check_rowsum_warp_cuda, points=5,
         hint="each lane sums columns lane, lane+32, ...; then __shfl_down_sync with offsets 16, 8, 4, 2, 1"),
]
