"""Chapter 07 homework: what `make grade CH=07` checks.

Each check yields (case name, thunk); a thunk raises when the learner's
code disagrees with the NumPy reference. Outputs start as NaN so that
"did nothing" never passes.
"""
import numpy as np

from pystory import int8 as ref
from pystory.grading import Task, array_module
from pystory.testing import assert_agree


def check_quantize(quantize_int8):
    rng = np.random.default_rng(0)
    cases = [((1, 1), np.float32), ((3, 7), np.float32), ((2, 4, 33), np.float32), ((5, 64), np.float64)]
    for shape, dtype in cases:
        x = (rng.standard_normal(shape) * rng.choice([1e-3, 1.0, 50.0])).astype(dtype)

        def case(x=x):
            q, scale = quantize_int8(x)
            want_q, want_s = ref.quantize_int8(x)
            q, scale = np.asarray(q), np.asarray(scale)
            assert q.dtype == np.int8, f"q: dtype {q.dtype}, expected int8"
            assert scale.dtype == x.dtype, f"scale: dtype {scale.dtype}, expected {x.dtype}"
            assert_agree(q, want_q, name="q")
            assert_agree(scale, want_s, name="scale")
        yield f"shape {shape} {np.dtype(dtype).name}", case

    def zeros_and_ties():
        x = np.array([[0.0, 0.0, 0.0], [127.0, 0.5, 2.5]], np.float32)
        q, scale = quantize_int8(x)
        assert np.asarray(q).tolist() == [[0, 0, 0], [127, 0, 2]], f"got {np.asarray(q).tolist()}"
        assert float(np.asarray(scale)[0]) == 0.0, "an all-zero row has scale 0"
    yield "an all-zero row, and ties to even", zeros_and_ties


def check_dequantize(dequantize_int8):
    rng = np.random.default_rng(1)
    for shape in [(1, 1), (4, 9), (2, 3, 40)]:
        q = rng.integers(-127, 128, shape).astype(np.int8)
        scale = rng.random(shape[:-1]).astype(np.float32)

        def case(q=q, scale=scale):
            got = np.asarray(dequantize_int8(q, scale))
            assert got.dtype == np.float32, f"dtype {got.dtype}, expected float32"
            assert_agree(got, ref.dequantize_int8(q, scale), name="dequantized")
        yield f"shape {shape}", case


def check_dot_int8_c(c):
    rng = np.random.default_rng(2)
    for n in [1, 7, 32, 100, 1000]:
        a = rng.integers(-127, 128, n).astype(np.int8)
        b = rng.integers(-127, 128, n).astype(np.int8)

        def case(a=a, b=b, n=n):
            got = c.fn(c.ptr(a), c.ptr(b), n)
            want = int(np.dot(a.astype(np.int64), b.astype(np.int64)))
            assert got == want, f"n={n}: got {got}, expected {want}"
        yield f"n={n}", case

    def extremes():
        a = np.full(4096, -127, np.int8)
        got, want = c.fn(c.ptr(a), c.ptr(a), 4096), 4096 * 127 * 127
        assert got == want, f"4096 products of -127 * -127: got {got}, expected {want} (an int8 or int16 sum wraps)"
        assert c.fn(c.ptr(a), c.ptr(a), 0) == 0, "n = 0 must give 0"
    yield "4096 products of -127 * -127, and n = 0", extremes


def check_dp4a_cuda(module):
    xp = array_module(module)
    kernel = module.get_function("linear_int8_dp4a_kernel")
    rng = np.random.default_rng(3)
    for N, C, OC, with_bias in [(1, 64, 8, True), (3, 70, 9, True), (2, 128, 33, False), (4, 5, 3, True)]:
        x = rng.standard_normal((N, C)).astype(np.float32)
        w = rng.standard_normal((OC, C)).astype(np.float32)
        b = rng.standard_normal(OC).astype(np.float32)

        def case(x=x, w=w, b=b, N=N, C=C, OC=OC, with_bias=with_bias):
            xq, sx = ref.quantize_int8(x)
            wq, s = ref.quantize_int8(w)
            out = xp.asarray(np.full((N, OC), np.nan, np.float32))
            kernel(((OC + 3) // 4, N), (128,),
                   (out, xp.asarray(xq), xp.asarray(sx), xp.asarray(wq), xp.asarray(s), xp.asarray(b),
                    np.int32(with_bias), np.int32(N), np.int32(C), np.int32(OC), np.int32(C % 4 == 0)))
            want = ref.linear_forward_int8(x, wq, s, b if with_bias else None)
            assert_agree(out, want, rtol=1e-5, atol=1e-5, name="out")
        yield f"N={N} C={C} OC={OC}" + ("" if with_bias else ", no bias") + ("" if C % 4 == 0 else " (unaligned)"), case


TASKS = [
    Task(name="quantize_int8 in NumPy", lang="python", stub="quantize.py", symbol="quantize_int8",
         reference="pystory/int8.py", check=check_quantize, points=2,
         hint="one division per row (guard a zero amax with np.where), in x's dtype; then round, clip and cast"),
    Task(name="dequantize_int8 in NumPy", lang="python", stub="quantize.py", symbol="dequantize_int8",
         reference="pystory/int8.py", check=check_dequantize, points=1,
         hint="one scale per row: broadcast scale[..., None] against q (cast q first)"),
    Task(name="int8 dot product in C", lang="c", stub="dot_int8.c", symbol="dot_int8",
         reference="csrc/int8.c", check=check_dot_int8_c, points=3,
         cdecl="int32_t dot_int8(const int8_t* a, const int8_t* b, int n);",
         hint="an int32_t accumulator; cast each operand to int32_t before multiplying"),
    Task(name="__dp4a linear kernel in CUDA", lang="cuda", stub="dp4a.cu", symbol="linear_int8_dp4a_kernel",
         reference="cuda/int8.cu", check=check_dp4a_cuda, points=4,
         hint="each warp owns one output; lanes stride over 32-bit words; reduce with shuffle offsets 16, 8, 4, 2, 1"),
]
