"""Chapter 05 homework: what `make grade CH=05` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, the NumPy reference's answer, computed where your code
never runs. Integers (the argmax) must match exactly. Outputs start as NaN
(or -1) so that "did nothing" never passes.
"""
import numpy as np

from pystory import conv1d as conv_ref
from pystory import gumbel as gumbel_ref
from pystory.grading import Case, Task, array_module, emu_schedule
from pystory.testing import assert_agree


def gumbel_backward_python_cases():
    rng = np.random.default_rng(0)
    cases = []

    def expected(dy, logits, tau):
        _, cache = gumbel_ref.gumbel_softmax_forward(logits, tau, 5, 0)
        return {"dlogits": gumbel_ref.gumbel_softmax_backward(dy, cache)}

    def run(f, dy, logits, tau):
        _, cache = gumbel_ref.gumbel_softmax_forward(logits, tau, 5, 0)       # the same noise: Philox seed 5
        return {"dlogits": f(dy, cache)}
    for (N, V), tau, dtype in [((1, 1), 1.0, np.float64), ((3, 7), 0.5, np.float32), ((4, 100), 0.1, np.float32),
                               ((2, 2048), 2.0, np.float64)]:
        logits = (rng.standard_normal((N, V)) * 3).astype(dtype)
        dy = rng.standard_normal((N, V)).astype(dtype)
        tols = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
        # same_dtype: dlogits keeps the dtype of the logits
        cases.append(Case(f"N={N} V={V} tau={tau} {np.dtype(dtype).name}",
                          run=lambda f, dy=dy, lg=logits, tau=tau: run(f, dy, lg, tau),
                          expected=lambda dy=dy, lg=logits, tau=tau: expected(dy, lg, tau),
                          same_dtype=True, **tols))
    logits, dy = rng.standard_normal((5, 9)), rng.standard_normal((5, 9))

    def rows_sum_to_zero(outputs, want):
        # a softmax's outputs always sum to 1, so shifting every logit of a row changes nothing:
        # each row of dlogits must sum to 0 (and agree with the reference)
        got = outputs.get("dlogits")
        if got is None:
            raise AssertionError("dlogits: no output")
        assert_agree(got.sum(axis=1), np.zeros(5), atol=1e-12, name="row sums of dlogits")
        assert_agree(got, want["dlogits"], name="dlogits")
    cases.append(Case("each row of dlogits sums to zero", run=lambda f: run(f, dy, logits, 0.7),
                      expected=lambda: expected(dy, logits, 0.7), verify=rows_sum_to_zero))
    return cases


def conv1d_c_cases():
    rng = np.random.default_rng(1)
    cases = []

    def run(c, x, w, b):
        B, T, _ = x.shape
        Cout, Cin, K = w.shape
        out = np.full((B, T - K + 1, Cout), np.nan, np.float32)
        c.fn(c.ptr(out), c.ptr(x), c.ptr(w), c.ptr(b), B, T, Cin, Cout, K)
        return {"out": out}
    for B, T, Cin, Cout, K in [(1, 1, 1, 1, 1), (2, 5, 3, 4, 5), (3, 20, 17, 18, 2), (2, 37, 33, 5, 4),
                               (4, 64, 32, 32, 3)]:
        x = rng.standard_normal((B, T, Cin)).astype(np.float32)
        w = rng.standard_normal((Cout, Cin, K)).astype(np.float32)
        b = rng.standard_normal(Cout).astype(np.float32)
        cases.append(Case(f"B={B} T={T} Cin={Cin} Cout={Cout} K={K}",
                          run=lambda c, x=x, w=w, b=b: run(c, x, w, b),
                          expected=lambda x=x, w=w, b=b: {"out": conv_ref.conv1d_forward(x, w, b)[0]},
                          rtol=1e-4, atol=1e-4))
    return cases


def maxpool_cuda_cases():
    rng = np.random.default_rng(2)
    cases = []

    def launch(module, x, threads, blocks=None):
        xp = array_module(module)
        B, T, C = x.shape
        out = xp.full((B, C), np.nan, np.float32)
        arg = xp.full((B, C), -1, np.int32)
        grid = blocks or (B * C + threads - 1) // threads
        module.get_function("maxpool_time_forward_kernel")(
            (grid,), (threads,), (out, arg, xp.asarray(x), np.int32(B), np.int32(T), np.int32(C)))
        return {"out": out, "argmax": arg}

    def expected(x):
        out, arg = conv_ref.maxpool_time_forward(x)
        return {"out": out, "argmax": arg}
    for shape, threads in [((1, 1, 1), 32), ((2, 5, 3), 32), ((3, 40, 70), 128), ((4, 1, 33), 256),
                           ((2, 9, 300), 256)]:
        x = rng.standard_normal(shape).astype(np.float32)
        cases.append(Case(f"shape {shape}, {threads} threads", run=lambda m, x=x, t=threads: launch(m, x, t),
                          expected=lambda x=x: expected(x)))
    ties = np.array([[[1.0, 5.0, 2.0], [3.0, 5.0, np.nan], [3.0, 2.0, 9.0]]], np.float32)   # (1, 3, 3)
    cases.append(Case("ties keep the first maximum, a NaN wins", run=lambda m: {"argmax": launch(m, ties, 32)["argmax"]},
                      expected=lambda: {"argmax": np.array([[1, 0, 1]], np.int32)}))
    shuffled = rng.standard_normal((3, 17, 50)).astype(np.float32)

    def run_shuffled(module):
        with emu_schedule(module, "shuffle:5"):           # on the emulator: threads in a shuffled order
            return {"argmax": launch(module, shuffled, 128, blocks=2)["argmax"]}
    cases.append(Case("threads scheduled in a shuffled order", run=run_shuffled,
                      expected=lambda: {"argmax": expected(shuffled)["argmax"]}))
    return cases


TASKS = [
    Task(name="Gumbel-softmax backward in NumPy", lang="python", stub="gumbel_softmax_backward.py",
         symbol="gumbel_softmax_backward", reference="pystory/gumbel.py", cases=gumbel_backward_python_cases,
         points=3,
         hint="the cache holds the soft sample and the temperature; chapter 03's softmax backward gives the "
              "gradient with respect to the scaled logits, and dividing by the temperature was the last step "
              "before the softmax, so the chain rule through it is one more scaling"),
    Task(name="conv1d forward in C", lang="c", stub="conv1d_naive.c", symbol="conv1d_forward_naive",
         reference="csrc/conv1d_naive.c", cases=conv1d_c_cases, points=4,
         cdecl="void conv1d_forward_naive(float* out, const float* x, const float* w, const float* b, "
               "int B, int T, int Cin, int Cout, int K);",
         hint="five loops: over the batch, the output positions and the output channels outside, then over "
              "the kernel taps and the input channels inside; x is channels-last while w keeps the tap "
              "index fastest; start each sum at the bias"),
    Task(name="max-over-time pooling in CUDA", lang="cuda", stub="maxpool_time.cu",
         symbol="maxpool_time_forward_kernel", reference="cuda/conv1d.cu", cases=maxpool_cuda_cases, points=3,
         hint="one thread per batch row and channel, the channel varying fastest across threads; walk the time "
              "steps after the first, replacing the best only on a strictly larger value or a first NaN"),
]
