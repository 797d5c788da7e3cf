"""Chapter 00 homework: what `make grade CH=00` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, the NumPy reference's answer, computed where your code
never runs. Inputs are NaN-free random numbers; outputs start as NaN so
that "did nothing" never passes.
"""
import numpy as np

from pystory.grading import Case, Task, array_module, emu_schedule


def rowsum_python_cases():
    rng = np.random.default_rng(0)
    cases = []
    for shape in [(1, 1), (3, 5), (0, 4), (64, 100)]:
        x = rng.standard_normal(shape).astype(np.float32)
        cases.append(Case(f"shape {shape}", run=lambda rowsum, x=x: {"rowsum": rowsum(x)},
                          expected=lambda x=x: {"rowsum": x.sum(axis=1)}))
    x64 = rng.standard_normal((4, 7))
    cases.append(Case("float64 input keeps its dtype", run=lambda rowsum: {"rowsum": rowsum(x64)},
                      expected=lambda: {"rowsum": x64.sum(axis=1)}, same_dtype=True))
    return cases


def axpy_c_cases():
    rng = np.random.default_rng(1)
    cases = []
    for n in [1, 7, 1000, 300_000]:
        x = rng.standard_normal(n).astype(np.float32)
        y = rng.standard_normal(n).astype(np.float32)

        def run(c, x=x, y=y, n=n):
            out = np.full(n, np.nan, np.float32)
            c.fn(c.ptr(out), 0.5, c.ptr(x), c.ptr(y), n)
            return {"out": out}
        cases.append(Case(f"n = {n}", run=run, expected=lambda x=x, y=y: {"out": np.float32(0.5) * x + y}))
    return cases


WARPS = 4  # rows per block: the block has 4 warps of 32 threads


def rowsum_warp_cuda_cases():
    rng = np.random.default_rng(2)
    cases = []

    def launch(module, x):
        xp = array_module(module)
        R, C = x.shape
        out = xp.full(R, np.nan, np.float32)
        module.get_function("rowsum_warp_kernel")(((R + WARPS - 1) // WARPS,), (32 * WARPS,),
                                                  (out, xp.asarray(x), np.int32(R), np.int32(C)))
        return {"out": out}
    for shape in [(1, 1), (5, 33), (9, 100), (3, 1000)]:
        x = rng.standard_normal(shape).astype(np.float32)
        cases.append(Case(f"shape {shape}", run=lambda m, x=x: launch(m, x), expected=lambda x=x: {"out": x.sum(axis=1)}))
    x = rng.standard_normal((6, 70)).astype(np.float32)

    def reversed_order(module, x=x):
        with emu_schedule(module, "reverse"):
            return launch(module, x)
    cases.append(Case("threads scheduled in reverse order", run=reversed_order,
                      expected=lambda x=x: {"out": x.sum(axis=1)}))
    return cases


TASKS = [
    Task(name="rowsum in NumPy", lang="python", stub="rowsum.py", symbol="rowsum",
         reference="pystory/basics.py", cases=rowsum_python_cases, points=2,
         hint="NumPy reduces along an axis for you: which axis runs along one row? An empty row sums to 0, "
              "and the result keeps the input's dtype"),
    Task(name="axpy in C with OpenMP", lang="c", stub="axpy.c", symbol="axpy",
         reference="csrc/basics.c", cases=axpy_c_cases, points=3,
         cdecl="void axpy(float* out, float a, const float* x, const float* y, int n);",
         hint="every element is independent of the others, so one loop over the elements can be split across "
              "cores by OpenMP's work-sharing directive; check the last index your loop touches"),
    Task(name="rowsum_warp_kernel in CUDA", lang="cuda", stub="rowsum_warp.cu", symbol="rowsum_warp_kernel",
         reference="cuda/basics.cu", cases=rowsum_warp_cuda_cases, points=5,
         hint="first work out which row each warp owns and leave when that row does not exist; after the loop "
              "every lane holds part of the sum: combine them so that each step halves the lanes that matter, "
              "until lane 0 holds the total"),
]
