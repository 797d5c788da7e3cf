"""Chapter 07 homework: what `make grade CH=07` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, the NumPy reference's answer, computed where your code
never runs. Integers must match exactly. Outputs start as NaN so that "did
nothing" never passes.
"""
import numpy as np

from pystory import int8 as reference
from pystory.grading import Case, Task, array_module


def quantize_python_cases():
    rng = np.random.default_rng(0)
    cases = []

    def run(quantize_int8, x):
        q, scale = quantize_int8(x)
        return {"q": q, "scale": scale}

    def expected(x):
        q, scale = reference.quantize_int8(x)
        return {"q": q, "scale": scale}
    for shape, dtype in [((1, 1), np.float32), ((3, 7), np.float32), ((2, 4, 33), np.float32), ((5, 64), np.float64)]:
        x = (rng.standard_normal(shape) * rng.choice([1e-3, 1.0, 50.0])).astype(dtype)
        # same_dtype: q must be int8 and scale must keep x's dtype
        cases.append(Case(f"shape {shape} {np.dtype(dtype).name}", run=lambda f, x=x: run(f, x),
                          expected=lambda x=x: expected(x), same_dtype=True))
    ties = np.array([[0.0, 0.0, 0.0], [127.0, 0.5, 2.5]], np.float32)
    cases.append(Case("an all-zero row (scale 0), and ties to even", run=lambda f: run(f, ties),
                      expected=lambda: expected(ties), same_dtype=True))
    return cases


def dequantize_python_cases():
    rng = np.random.default_rng(1)
    cases = []
    for shape in [(1, 1), (4, 9), (2, 3, 40)]:
        q = rng.integers(-127, 128, shape).astype(np.int8)
        scale = rng.random(shape[:-1]).astype(np.float32)
        cases.append(Case(f"shape {shape}", run=lambda f, q=q, s=scale: {"dequantized": f(q, s)},
                          expected=lambda q=q, s=scale: {"dequantized": reference.dequantize_int8(q, s)},
                          same_dtype=True))
    return cases


def exact_dot(a, b):
    return {"dot": np.int64(np.dot(a.astype(np.int64), b.astype(np.int64)))}


def dot_int8_c_cases():
    rng = np.random.default_rng(2)
    cases = []
    for n in [1, 7, 32, 100, 1000]:
        a = rng.integers(-127, 128, n).astype(np.int8)
        b = rng.integers(-127, 128, n).astype(np.int8)
        cases.append(Case(f"n = {n}", run=lambda c, a=a, b=b, n=n: {"dot": np.int64(c.fn(c.ptr(a), c.ptr(b), n))},
                          expected=lambda a=a, b=b: exact_dot(a, b)))
    big = np.full(4096, -127, np.int8)
    # one case, so that a stub returning 0 cannot earn the n = 0 half
    cases.append(Case("4096 products of -127 * -127 (an int8 or int16 sum wraps), and n = 0",
                      run=lambda c: {"4096 products": np.int64(c.fn(c.ptr(big), c.ptr(big), 4096)),
                                     "n = 0": np.int64(c.fn(c.ptr(big), c.ptr(big), 0))},
                      expected=lambda: {"4096 products": exact_dot(big, big)["dot"], "n = 0": np.int64(0)}))
    return cases


WARPS = 4  # outputs per block: the block has 4 warps of 32 threads, one output each


def dp4a_cuda_cases():
    rng = np.random.default_rng(3)
    cases = []

    def launch(module, x, wq, s, b, with_bias):
        xp = array_module(module)
        N, C = x.shape
        OC = wq.shape[0]
        xq, sx = reference.quantize_int8(x)     # the kernel's input: x already quantized
        out = xp.full((N, OC), np.nan, np.float32)
        module.get_function("linear_int8_dp4a_kernel")(
            ((OC + WARPS - 1) // WARPS, N), (32 * WARPS,),
            (out, xp.asarray(xq), xp.asarray(sx), xp.asarray(wq), xp.asarray(s), xp.asarray(b),
             np.int32(with_bias), np.int32(N), np.int32(C), np.int32(OC), np.int32(C % 4 == 0)))
        return {"out": out}
    for N, C, OC, with_bias in [(1, 64, 8, True), (3, 70, 9, True), (2, 128, 33, False), (4, 5, 3, True)]:
        x = rng.standard_normal((N, C)).astype(np.float32)
        wq, s = reference.quantize_int8(rng.standard_normal((OC, C)).astype(np.float32))
        b = rng.standard_normal(OC).astype(np.float32)
        name = f"N={N} C={C} OC={OC}" + ("" if with_bias else ", no bias") + ("" if C % 4 == 0 else " (unaligned)")
        cases.append(Case(name, run=lambda m, x=x, wq=wq, s=s, b=b, wb=with_bias: launch(m, x, wq, s, b, wb),
                          expected=lambda x=x, wq=wq, s=s, b=b, wb=with_bias: {
                              "out": reference.linear_forward_int8(x, wq, s, b if wb else None)},
                          rtol=1e-5, atol=1e-5))
    return cases


TASKS = [
    Task(name="quantize_int8 in NumPy", lang="python", stub="quantize.py", symbol="quantize_int8",
         reference="pystory/int8.py", cases=quantize_python_cases, points=2,
         hint="one division per row, in the dtype of x, guarding a row whose largest magnitude is 0; then round "
              "to nearest, clip to the symmetric range and cast"),
    Task(name="dequantize_int8 in NumPy", lang="python", stub="quantize.py", symbol="dequantize_int8",
         reference="pystory/int8.py", cases=dequantize_python_cases, points=1,
         hint="one scale per row: cast the integers to the dtype of the scales first, then let broadcasting "
              "stretch each scale along its row (give the scales a trailing axis of length 1)"),
    Task(name="int8 dot product in C", lang="c", stub="dot_int8.c", symbol="dot_int8",
         reference="csrc/int8.c", cases=dot_int8_c_cases, points=3,
         cdecl="int32_t dot_int8(const int8_t* a, const int8_t* b, int n);",
         hint="sum into a 32-bit integer, and widen each operand to 32 bits before the multiply"),
    Task(name="__dp4a linear kernel in CUDA", lang="cuda", stub="dp4a.cu", symbol="linear_int8_dp4a_kernel",
         reference="cuda/int8.cu", cases=dp4a_cuda_cases, points=4,
         hint="each warp owns one output; lanes stride over 32-bit words; reduce with shuffle offsets 16, 8, 4, 2, 1"),
]
