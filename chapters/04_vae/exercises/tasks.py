"""Chapter 04 homework: what `make grade CH=04` checks.

Each check yields (case name, thunk); a thunk raises when the learner's
code disagrees with the NumPy reference. Outputs start as NaN so that
"did nothing" never passes.
"""
import numpy as np

from pystory import gru as gru_ref
from pystory import latent as latent_ref
from pystory.grading import Task, array_module
from pystory.philox import philox_normal
from pystory.testing import assert_agree, check_grad


def check_gaussian_kl_backward(gaussian_kl_backward):
    rng = np.random.default_rng(0)
    for shape, dtype in [((1, 1), np.float64), ((4, 8), np.float32), ((16, 32), np.float32), ((3, 5), np.float64)]:
        mu = (rng.standard_normal(shape) * 2).astype(dtype)
        logvar = (rng.standard_normal(shape) * 2).astype(dtype)
        dkl = rng.standard_normal(shape).astype(dtype)

        def case(mu=mu, logvar=logvar, dkl=dkl, dtype=dtype):
            got = gaussian_kl_backward(dkl, mu, logvar)
            want = latent_ref.gaussian_kl_backward(dkl, mu, logvar)
            for name, g, e in zip(("dmu", "dlogvar"), got, want):
                g = np.asarray(g)
                assert g.dtype == e.dtype, f"{name}: dtype {g.dtype}, expected {e.dtype}"
                assert_agree(g, e, rtol=1e-5 if dtype == np.float32 else 1e-12,
                             atol=1e-6 if dtype == np.float32 else 1e-14, name=name)
        yield f"shape {shape} {np.dtype(dtype).name}", case

    def finite_differences():
        mu, logvar, g = (rng.standard_normal((2, 3)) for _ in range(3))
        dmu, dlogvar = gaussian_kl_backward(g, mu, logvar)
        check_grad(lambda: np.sum(latent_ref.gaussian_kl_forward(mu, logvar) * g),
                   {"mu": mu, "logvar": logvar}, {"mu": np.asarray(dmu), "logvar": np.asarray(dlogvar)})
    yield "agrees with finite differences (float64)", finite_differences


def check_gru_cell_c(c):
    rng = np.random.default_rng(1)
    for B, I, H in [(1, 1, 1), (2, 3, 4), (5, 17, 33), (8, 64, 96)]:
        k = 1 / np.sqrt(H)
        x = rng.standard_normal((B, I)).astype(np.float32)
        h, w_ih, w_hh, b_ih, b_hh = (rng.uniform(-k, k, s).astype(np.float32)
                                     for s in ((B, H), (3 * H, I), (3 * H, H), (3 * H,), (3 * H,)))

        def case(B=B, I=I, H=H, x=x, h=h, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh):
            h_new = np.full((B, H), np.nan, np.float32)
            c.fn(c.ptr(h_new), c.ptr(x), c.ptr(h), c.ptr(w_ih), c.ptr(w_hh), c.ptr(b_ih), c.ptr(b_hh), B, I, H)
            out, _ = gru_ref.gru_forward(x[:, None], h, w_ih, w_hh, b_ih, b_hh)      # one step of the sequence op
            assert_agree(h_new, out[:, 0], name="h_new")
        yield f"B={B} I={I} H={H}", case

    def reset_gate_scales_only_the_recurrent_side():
        # b_hn large and r = 0 (b_ir very negative): n = tanh(a_n), the b_hn term must vanish
        B, I, H = 2, 3, 4
        x = rng.standard_normal((B, I)).astype(np.float32)
        h = rng.uniform(-1, 1, (B, H)).astype(np.float32)
        w_ih, w_hh = (rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in ((3 * H, I), (3 * H, H)))
        b_ih = np.zeros(3 * H, np.float32)
        b_ih[:H] = -60.0
        b_hh = np.zeros(3 * H, np.float32)
        b_hh[2 * H:] = 5.0
        h_new = np.full((B, H), np.nan, np.float32)
        c.fn(c.ptr(h_new), c.ptr(x), c.ptr(h), c.ptr(w_ih), c.ptr(w_hh), c.ptr(b_ih), c.ptr(b_hh), B, I, H)
        out, _ = gru_ref.gru_forward(x[:, None], h, w_ih, w_hh, b_ih, b_hh)
        assert_agree(h_new, out[:, 0], name="h_new")
    yield "the reset gate multiplies W_hn h + b_hn only", reset_gate_scales_only_the_recurrent_side


def check_reparameterize_cuda(module):
    xp = array_module(module)
    kernel = module.get_function("reparameterize_forward_kernel")
    rng = np.random.default_rng(2)
    for (B, Z), seed, offset, threads in [((1, 1), 0, 0, 32), ((3, 7), 5, 3, 64), ((16, 32), 2**40 + 3, 2**33 + 2, 256),
                                          ((5, 9), 11, 6, 32)]:
        mu = rng.standard_normal((B, Z)).astype(np.float32)
        logvar = rng.standard_normal((B, Z)).astype(np.float32)

        def case(mu=mu, logvar=logvar, seed=seed, offset=offset, threads=threads):
            n = mu.size
            nblocks = (offset + n + 3) // 4 - offset // 4
            z = xp.asarray(np.full(mu.shape, np.nan, np.float32))
            eps = xp.asarray(np.full(mu.shape, np.nan, np.float32))
            kernel(((nblocks + threads - 1) // threads,), (threads,),
                   (z, eps, xp.asarray(mu), xp.asarray(logvar), np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32),
                    np.uint32(offset & 0xFFFFFFFF), np.uint32(offset >> 32), np.int32(n), np.int32(nblocks)))
            want_z, want_eps = latent_ref.reparameterize_forward(mu, logvar, seed, offset)
            got_eps = np.asarray(eps.get() if hasattr(eps, "get") else eps)
            assert got_eps.tobytes() == want_eps.tobytes() or np.allclose(got_eps, want_eps, rtol=1e-6, atol=1e-6), \
                "eps: not the Philox normals of words offset .. offset + n - 1"
            assert_agree(z, want_z, name="z")
        yield f"B={B} Z={Z} offset={offset}, {threads} threads", case

    def matches_the_stream():
        mu = np.zeros((2, 6), np.float32)
        z = xp.asarray(np.full(mu.shape, np.nan, np.float32))
        eps = xp.asarray(np.full(mu.shape, np.nan, np.float32))
        kernel((1,), (32,), (z, eps, xp.asarray(mu), xp.asarray(mu), np.uint32(7), np.uint32(0),
                             np.uint32(1), np.uint32(0), np.int32(12), np.int32(4)))
        assert_agree(eps, philox_normal(7, 1, 12).reshape(2, 6), rtol=1e-6, atol=1e-6, name="eps")
        assert_agree(z, philox_normal(7, 1, 12).reshape(2, 6), rtol=1e-6, atol=1e-6, name="z (mu 0, logvar 0)")
    yield "eps is the stream from offset 1 (not a multiple of 4)", matches_the_stream


TASKS = [
    Task(name="Gaussian KL backward in NumPy", lang="python", stub="gaussian_kl_backward.py",
         symbol="gaussian_kl_backward", reference="pystory/latent.py", check=check_gaussian_kl_backward, points=2,
         hint="d/dmu of mu^2 / 2, and d/dlogvar of (exp(logvar) - logvar) / 2; then multiply by dkl"),
    Task(name="GRU cell forward in C", lang="c", stub="gru_cell.c", symbol="gru_cell_forward",
         reference="csrc/gru_cell.c", check=check_gru_cell_c, points=4,
         cdecl="void gru_cell_forward(float* h_new, const float* x, const float* h, const float* w_ih, "
               "const float* w_hh, const float* b_ih, const float* b_hh, int B, int I, int H);",
         hint="for each (b, j): six dot products (three gates, two sides each), then the four formulas"),
    Task(name="fused reparameterize kernel in CUDA", lang="cuda", stub="reparameterize.cu",
         symbol="reparameterize_forward_kernel", reference="cuda/latent.cu", check=check_reparameterize_cuda,
         points=4,
         hint="rebuild the 64-bit offset from its halves; b = offset / 4 + t; two box_muller calls give the "
              "four normals of the block; skip the words outside [offset, offset + n)"),
]
