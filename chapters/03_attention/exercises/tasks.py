"""Chapter 03 homework: what `make grade CH=03` checks.

Each check yields (case name, thunk); a thunk raises when the learner's
code disagrees with the NumPy reference. Outputs start as NaN so that
"did nothing" never passes.
"""
import numpy as np

from pystory import attention as reference
from pystory.grading import Task, array_module
from pystory.testing import assert_agree


def check_softmax_python(softmax_forward):
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (3, 7), (2, 4, 33)]:
        x = (rng.standard_normal(shape) * 3).astype(np.float32)
        yield f"shape {shape}", lambda x=x: assert_agree(np.asarray(softmax_forward(x)),
                                                         reference.softmax_forward(x), name="softmax")
    big = np.array([[1e4, -1e4, 1e4 - 1.0, 0.0]], np.float32)
    yield "scores of +-1e4 (no overflow)", lambda: assert_agree(
        np.asarray(softmax_forward(big)), reference.softmax_forward(big), name="softmax of 1e4")
    masked = np.array([[0.5, -np.inf, 2.0, -np.inf]], np.float32)
    yield "-inf entries get weight 0", lambda: assert_agree(
        np.asarray(softmax_forward(masked)), reference.softmax_forward(masked), name="softmax with -inf")
    x64 = rng.standard_normal((4, 9))

    def float64_case():
        y = np.asarray(softmax_forward(x64))
        assert y.dtype == np.float64, f"softmax: float64 input must give float64, got {y.dtype}"
        assert_agree(y, reference.softmax_forward(x64), name="softmax (float64)")
    yield "float64 input keeps its dtype", float64_case


def check_attention_naive_c(c):
    rng = np.random.default_rng(1)
    for B, T, NH, hs in [(1, 1, 1, 8), (2, 5, 2, 16), (1, 40, 3, 32), (2, 17, 4, 64)]:
        qkv = rng.standard_normal((B, T, 3 * NH * hs)).astype(np.float32)

        def case(qkv=qkv, B=B, T=T, NH=NH, hs=hs):
            C = NH * hs
            out = np.full((B, T, C), np.nan, np.float32)
            att = np.full((B, NH, T, T), np.nan, np.float32)
            c.fn(c.ptr(out), c.ptr(att), c.ptr(qkv), B, T, C, NH)
            expected, (_, _, expected_att) = reference.attention_forward_naive(qkv, NH)
            assert_agree(att, expected_att, name="att")
            assert_agree(out, expected, name="out")
        yield f"B={B} T={T} heads={NH} hs={hs}", case
    big = rng.standard_normal((1, 6, 3 * 16)).astype(np.float32)
    big[0, :, :16] *= 300.0   # scores in the thousands: the max must be subtracted

    def stable():
        out = np.full((1, 6, 16), np.nan, np.float32)
        att = np.full((1, 1, 6, 6), np.nan, np.float32)
        c.fn(c.ptr(out), c.ptr(att), c.ptr(big), 1, 6, 16, 1)
        assert_agree(out, reference.attention_forward_naive(big, 1)[0], rtol=1e-3, atol=1e-4, name="out")
    yield "large scores (stable softmax)", stable


def check_softmax_online_cuda(module):
    from pystory import emu
    xp = array_module(module)
    kernel = module.get_function("softmax_forward_online_kernel")
    rng = np.random.default_rng(2)
    cases = [((1, 1), 64), ((5, 33), 128), ((3, 300), 128), ((2, 1000), 256), ((4, 20), 64)]
    for shape, threads in cases:
        x = (rng.standard_normal(shape) * 4).astype(np.float32)

        def case(x=x, threads=threads):
            R, N = x.shape
            y = xp.full((R, N), np.nan, np.float32)
            kernel((R,), (threads,), (y, xp.asarray(x), np.int32(R), np.int32(N)))
            assert_agree(y, reference.softmax_forward(x), name="softmax_forward_online_kernel")
        yield f"shape {shape}, {threads} threads", case
    masked = np.array([[1.0, -np.inf, 3.0, 1e4], [-np.inf, -1e4, 2.0, -np.inf]], np.float32)

    def masked_case():
        y = xp.full(masked.shape, np.nan, np.float32)
        kernel((2,), (64,), (y, xp.asarray(masked), np.int32(2), np.int32(4)))
        assert_agree(y, reference.softmax_forward(masked), name="softmax_forward_online_kernel")
    yield "-inf entries and scores of 1e4", masked_case
    if xp is np:
        def shuffled_order():
            with emu.schedule("shuffle:7"):
                x = rng.standard_normal((3, 500)).astype(np.float32)
                y = np.full((3, 500), np.nan, np.float32)
                kernel((3,), (128,), (y, x, np.int32(3), np.int32(500)))
                assert_agree(y, reference.softmax_forward(x), name="softmax_forward_online_kernel")
        yield "threads scheduled in a shuffled order", shuffled_order


TASKS = [
    Task(name="stable softmax in NumPy", lang="python", stub="softmax.py", symbol="softmax_forward",
         reference="pystory/attention.py", check=check_softmax_python, points=2,
         hint="subtract np.max(x, axis=-1, keepdims=True) before np.exp; divide by the sum over axis -1"),
    Task(name="naive attention forward in C", lang="c", stub="attention_naive.c", symbol="attention_forward_naive",
         reference="csrc/attention.c", check=check_attention_naive_c, points=4,
         cdecl="void attention_forward_naive(float* out, float* att, const float* qkv, "
               "int B, int T, int C, int NH);",
         hint="loops b, h, t; scores for t2 <= t; max, exp, sum, divide; zeros for t2 > t; then out += att * v"),
    Task(name="online softmax block reduction in CUDA", lang="cuda", stub="softmax_online.cu",
         symbol="softmax_forward_online_kernel",
         reference="cuda/attention.cu", check=check_softmax_online_cuda, points=5,
         hint="m = -inf, s = 0; merge each x with weight 1; shuffle both m and s in the xor butterfly"),
]
