"""Chapter 03 homework: what `make grade CH=03` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, the NumPy reference's answer, computed where your code
never runs. Outputs start as NaN so that "did nothing" never passes.
"""
import numpy as np

from pystory import attention as reference
from pystory.grading import Case, Task, array_module, emu_schedule


def softmax_python_cases():
    rng = np.random.default_rng(0)
    cases = []
    for shape in [(1, 1), (3, 7), (2, 4, 33)]:
        x = (rng.standard_normal(shape) * 3).astype(np.float32)
        cases.append(Case(f"shape {shape}", run=lambda f, x=x: {"softmax": f(x)},
                          expected=lambda x=x: {"softmax": reference.softmax_forward(x)}))
    big = np.array([[1e4, -1e4, 1e4 - 1.0, 0.0]], np.float32)
    cases.append(Case("scores of +-1e4 (no overflow)", run=lambda f: {"softmax of 1e4": f(big)},
                      expected=lambda: {"softmax of 1e4": reference.softmax_forward(big)}))
    masked = np.array([[0.5, -np.inf, 2.0, -np.inf]], np.float32)
    cases.append(Case("-inf entries get weight 0", run=lambda f: {"softmax with -inf": f(masked)},
                      expected=lambda: {"softmax with -inf": reference.softmax_forward(masked)}))
    x64 = rng.standard_normal((4, 9))
    cases.append(Case("float64 input keeps its dtype", run=lambda f: {"softmax (float64)": f(x64)},
                      expected=lambda: {"softmax (float64)": reference.softmax_forward(x64)}, same_dtype=True))
    return cases


def attention_naive_c_cases():
    rng = np.random.default_rng(1)
    cases = []

    def run(c, qkv, NH):
        B, T, C3 = qkv.shape
        C = C3 // 3
        out = np.full((B, T, C), np.nan, np.float32)
        att = np.full((B, NH, T, T), np.nan, np.float32)
        c.fn(c.ptr(out), c.ptr(att), c.ptr(qkv), B, T, C, NH)
        return {"att": att, "out": out}

    def expected(qkv, NH):
        out, (_, _, att) = reference.attention_forward_naive(qkv, NH)
        return {"att": att, "out": out}
    for B, T, NH, hs in [(1, 1, 1, 8), (2, 5, 2, 16), (1, 40, 3, 32), (2, 17, 4, 64)]:
        qkv = rng.standard_normal((B, T, 3 * NH * hs)).astype(np.float32)
        cases.append(Case(f"B={B} T={T} heads={NH} hs={hs}", run=lambda c, qkv=qkv, NH=NH: run(c, qkv, NH),
                          expected=lambda qkv=qkv, NH=NH: expected(qkv, NH)))
    big = rng.standard_normal((1, 6, 3 * 16)).astype(np.float32)
    big[0, :, :16] *= 300.0   # scores in the thousands: the max must be subtracted
    cases.append(Case("large scores (stable softmax)", run=lambda c: {"out": run(c, big, 1)["out"]},
                      expected=lambda: {"out": expected(big, 1)["out"]}, rtol=1e-3, atol=1e-4))
    return cases


def softmax_online_cuda_cases():
    rng = np.random.default_rng(2)
    cases = []

    def launch(module, x, threads):
        xp = array_module(module)
        R, N = x.shape
        y = xp.full((R, N), np.nan, np.float32)
        module.get_function("softmax_forward_online_kernel")((R,), (threads,), (y, xp.asarray(x), np.int32(R),
                                                                                np.int32(N)))
        return {"y": y}
    for shape, threads in [((1, 1), 64), ((5, 33), 128), ((3, 300), 128), ((2, 1000), 256), ((4, 20), 64)]:
        x = (rng.standard_normal(shape) * 4).astype(np.float32)
        cases.append(Case(f"shape {shape}, {threads} threads", run=lambda m, x=x, t=threads: launch(m, x, t),
                          expected=lambda x=x: {"y": reference.softmax_forward(x)}))
    masked = np.array([[1.0, -np.inf, 3.0, 1e4], [-np.inf, -1e4, 2.0, -np.inf]], np.float32)
    cases.append(Case("-inf entries and scores of 1e4", run=lambda m: launch(m, masked, 64),
                      expected=lambda: {"y": reference.softmax_forward(masked)}))
    x = rng.standard_normal((3, 500)).astype(np.float32)

    def shuffled(module):
        with emu_schedule(module, "shuffle:7"):
            return launch(module, x, 128)
    cases.append(Case("threads scheduled in a shuffled order", run=shuffled,
                      expected=lambda: {"y": reference.softmax_forward(x)}))
    return cases


TASKS = [
    Task(name="stable softmax in NumPy", lang="python", stub="softmax.py", symbol="softmax_forward",
         reference="pystory/attention.py", cases=softmax_python_cases, points=2,
         hint="exp of a large score overflows: shift every row by its largest entry first (it cancels in the "
              "division); reduce over the last axis with keepdims so the shapes broadcast"),
    Task(name="naive attention forward in C", lang="c", stub="attention_naive.c", symbol="attention_forward_naive",
         reference="csrc/attention.c", cases=attention_naive_c_cases, points=4,
         cdecl="void attention_forward_naive(float* out, float* att, const float* qkv, "
               "int B, int T, int C, int NH);",
         hint="for each batch, head and query: scaled scores against the keys up to and including itself, "
              "a stable softmax over them, zeros for the future, then the weighted sum of the values"),
    Task(name="online softmax block reduction in CUDA", lang="cuda", stub="softmax_online.cu",
         symbol="softmax_forward_online_kernel",
         reference="cuda/attention.cu", cases=softmax_online_cuda_cases, points=5,
         hint="each thread keeps a running (max, sum) pair; two pairs merge by rescaling both sums to the "
              "larger max; merge across the warp with shuffles (both numbers), then across warps through "
              "shared memory, with barriers between the writes and the reads; and stay inside the row"),
]
