"""Chapter 05 homework: what `make grade CH=05` checks.

Each check yields (case name, thunk); a thunk raises when the learner's
code disagrees with the NumPy reference. Outputs start as NaN so that
"did nothing" never passes.
"""
import numpy as np

from pystory import conv1d as conv_ref
from pystory import gumbel as gumbel_ref
from pystory.grading import Task, array_module
from pystory.testing import assert_agree


def check_gumbel_backward(gumbel_softmax_backward):
    rng = np.random.default_rng(0)
    for (N, V), tau, dtype in [((1, 1), 1.0, np.float64), ((3, 7), 0.5, np.float32), ((4, 100), 0.1, np.float32),
                               ((2, 2048), 2.0, np.float64)]:
        logits = (rng.standard_normal((N, V)) * 3).astype(dtype)
        dy = rng.standard_normal((N, V)).astype(dtype)

        def case(logits=logits, dy=dy, tau=tau, dtype=dtype):
            _, cache = gumbel_ref.gumbel_softmax_forward(logits, tau, 5, 0)
            got = np.asarray(gumbel_softmax_backward(dy, cache))
            want = gumbel_ref.gumbel_softmax_backward(dy, cache)
            assert got.dtype == want.dtype, f"dlogits: dtype {got.dtype}, expected {want.dtype}"
            assert_agree(got, want, rtol=1e-4 if dtype == np.float32 else 1e-10,
                         atol=1e-6 if dtype == np.float32 else 1e-12, name="dlogits")
        yield f"N={N} V={V} tau={tau} {np.dtype(dtype).name}", case

    def rows_sum_to_zero():
        # a softmax's output always sums to 1, so shifting every logit of a row changes nothing:
        # each row of dlogits must sum to 0
        logits = rng.standard_normal((5, 9))
        _, cache = gumbel_ref.gumbel_softmax_forward(logits, 0.7, 1, 0)
        got = np.asarray(gumbel_softmax_backward(rng.standard_normal((5, 9)), cache))
        assert_agree(got.sum(axis=1), np.zeros(5), atol=1e-12, name="row sums of dlogits")
    yield "each row of dlogits sums to zero", rows_sum_to_zero


def check_conv1d_c(c):
    rng = np.random.default_rng(1)
    for B, T, Cin, Cout, K in [(1, 1, 1, 1, 1), (2, 5, 3, 4, 5), (3, 20, 17, 18, 2), (2, 37, 33, 5, 4),
                               (4, 64, 32, 32, 3)]:
        x = rng.standard_normal((B, T, Cin)).astype(np.float32)
        w = rng.standard_normal((Cout, Cin, K)).astype(np.float32)
        b = rng.standard_normal(Cout).astype(np.float32)

        def case(x=x, w=w, b=b, B=B, T=T, Cin=Cin, Cout=Cout, K=K):
            out = np.full((B, T - K + 1, Cout), np.nan, np.float32)
            c.fn(c.ptr(out), c.ptr(x), c.ptr(w), c.ptr(b), B, T, Cin, Cout, K)
            assert_agree(out, conv_ref.conv1d_forward(x, w, b)[0], rtol=1e-4, atol=1e-4, name="out")
        yield f"B={B} T={T} Cin={Cin} Cout={Cout} K={K}", case


def check_maxpool_cuda(module):
    from pystory import emu
    xp = array_module(module)
    kernel = module.get_function("maxpool_time_forward_kernel")
    rng = np.random.default_rng(2)
    cases = [((1, 1, 1), 32), ((2, 5, 3), 32), ((3, 40, 70), 128), ((4, 1, 33), 256), ((2, 9, 300), 256)]
    for shape, threads in cases:
        x = rng.standard_normal(shape).astype(np.float32)

        def case(x=x, threads=threads):
            B, T, C = x.shape
            out = xp.full((B, C), np.nan, np.float32)
            arg = xp.full((B, C), -1, np.int32)
            kernel(((B * C + threads - 1) // threads,), (threads,),
                   (out, arg, xp.asarray(x), np.int32(B), np.int32(T), np.int32(C)))
            want_out, want_arg = conv_ref.maxpool_time_forward(x)
            assert_agree(out, want_out, name="out")
            assert_agree(arg, want_arg, name="argmax")
        yield f"shape {shape}, {threads} threads", case
    ties = np.array([[[1.0, 5.0, 2.0], [3.0, 5.0, np.nan], [3.0, 2.0, 9.0]]], np.float32)   # (1, 3, 3)

    def ties_and_nan():
        out = xp.full((1, 3), np.nan, np.float32)
        arg = xp.full((1, 3), -1, np.int32)
        kernel((1,), (32,), (out, arg, xp.asarray(ties), np.int32(1), np.int32(3), np.int32(3)))
        assert_agree(arg, np.array([[1, 0, 1]], np.int32), name="argmax (first maximum; NaN wins)")
    yield "ties keep the first maximum, a NaN wins", ties_and_nan
    if xp is np:
        def shuffled_order():
            with emu.schedule("shuffle:5"):
                x = rng.standard_normal((3, 17, 50)).astype(np.float32)
                out = np.full((3, 50), np.nan, np.float32)
                arg = np.full((3, 50), -1, np.int32)
                kernel((2,), (128,), (out, arg, x, np.int32(3), np.int32(17), np.int32(50)))
                assert_agree(arg, conv_ref.maxpool_time_forward(x)[1], name="argmax")
        yield "threads scheduled in a shuffled order", shuffled_order


TASKS = [
    Task(name="Gumbel-softmax backward in NumPy", lang="python", stub="gumbel_softmax_backward.py",
         symbol="gumbel_softmax_backward", reference="pystory/gumbel.py", check=check_gumbel_backward, points=3,
         hint="y, tau = cache; chapter 03's softmax backward gives dz; z = (logits + g) / tau gives the rest"),
    Task(name="conv1d forward in C", lang="c", stub="conv1d_naive.c", symbol="conv1d_forward_naive",
         reference="csrc/conv1d_naive.c", check=check_conv1d_c, points=4,
         cdecl="void conv1d_forward_naive(float* out, const float* x, const float* w, const float* b, "
               "int B, int T, int Cin, int Cout, int K);",
         hint="five loops b, t, o, then k and c inside; x[b, t+k, c] is (b*T + t + k)*Cin + c floats in; "
              "start each sum at the bias"),
    Task(name="max-over-time pooling in CUDA", lang="cuda", stub="maxpool_time.cu",
         symbol="maxpool_time_forward_kernel", reference="cuda/conv1d.cu", check=check_maxpool_cuda, points=3,
         hint="i = blockIdx.x * blockDim.x + threadIdx.x; c = i % C, b = i / C; walk t from 1, replace on >"),
]
