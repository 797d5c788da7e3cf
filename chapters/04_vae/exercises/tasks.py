"""Chapter 04 homework: what `make grade CH=04` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, computed by the NumPy reference (or by finite differences)
where your code never runs. Outputs start as NaN so that "did nothing"
never passes.
"""
import numpy as np

from pystory import gru as gru_ref
from pystory import latent as latent_ref
from pystory.grading import Case, Task, array_module, emu_schedule


def gaussian_kl_backward_cases():
    rng = np.random.default_rng(0)
    cases = []
    for shape, dtype in [((1, 1), np.float64), ((4, 8), np.float32), ((16, 32), np.float32), ((3, 5), np.float64)]:
        mu = (rng.standard_normal(shape) * 2).astype(dtype)
        logvar = (rng.standard_normal(shape) * 2).astype(dtype)
        dkl = rng.standard_normal(shape).astype(dtype)

        def run(f, mu=mu, logvar=logvar, dkl=dkl):
            dmu, dlogvar = f(dkl, mu, logvar)
            return {"dmu": dmu, "dlogvar": dlogvar}

        def expected(mu=mu, logvar=logvar, dkl=dkl):
            dmu, dlogvar = latent_ref.gaussian_kl_backward(dkl, mu, logvar)
            return {"dmu": dmu, "dlogvar": dlogvar}
        f32 = dtype == np.float32
        cases.append(Case(f"shape {shape} {np.dtype(dtype).name}", run=run, expected=expected, same_dtype=True,
                          rtol=1e-5 if f32 else 1e-12, atol=1e-6 if f32 else 1e-14))

    mu, logvar, g = (rng.standard_normal((2, 3)) for _ in range(3))

    def finite_differences(mu=mu, logvar=logvar, g=g, h=1e-6):
        # loss = sum(kl * g); each kl[b, j] depends on mu[b, j] and logvar[b, j] only
        kl = latent_ref.gaussian_kl_forward
        return {"dmu": g * (kl(mu + h, logvar) - kl(mu - h, logvar)) / (2 * h),
                "dlogvar": g * (kl(mu, logvar + h) - kl(mu, logvar - h)) / (2 * h)}
    cases.append(Case("agrees with finite differences (float64)",
                      run=lambda f: dict(zip(("dmu", "dlogvar"), f(g, mu, logvar))),
                      expected=finite_differences, rtol=1e-6, atol=1e-8))
    return cases


def _gru_cell(c, x, h, w_ih, w_hh, b_ih, b_hh):
    B, I = x.shape
    H = h.shape[1]
    h_new = np.full((B, H), np.nan, np.float32)
    c.fn(c.ptr(h_new), c.ptr(x), c.ptr(h), c.ptr(w_ih), c.ptr(w_hh), c.ptr(b_ih), c.ptr(b_hh), B, I, H)
    return {"h_new": h_new}


def _one_step(x, h, w_ih, w_hh, b_ih, b_hh):
    out, _ = gru_ref.gru_forward(x[:, None], h, w_ih, w_hh, b_ih, b_hh)      # one step of the sequence op
    return {"h_new": out[:, 0]}


def gru_cell_c_cases():
    rng = np.random.default_rng(1)
    cases = []
    for B, I, H in [(1, 1, 1), (2, 3, 4), (5, 17, 33), (8, 64, 96)]:
        k = 1 / np.sqrt(H)
        args = (rng.standard_normal((B, I)).astype(np.float32),) + tuple(
            rng.uniform(-k, k, s).astype(np.float32) for s in ((B, H), (3 * H, I), (3 * H, H), (3 * H,), (3 * H,)))
        cases.append(Case(f"B={B} I={I} H={H}", run=lambda c, a=args: _gru_cell(c, *a),
                          expected=lambda a=args: _one_step(*a)))

    # b_hn large and r = 0 (b_ir very negative): n = tanh(a_n), the b_hn term must vanish
    B, I, H = 2, 3, 4
    x = rng.standard_normal((B, I)).astype(np.float32)
    h = rng.uniform(-1, 1, (B, H)).astype(np.float32)
    w_ih, w_hh = (rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in ((3 * H, I), (3 * H, H)))
    b_ih = np.zeros(3 * H, np.float32)
    b_ih[:H] = -60.0
    b_hh = np.zeros(3 * H, np.float32)
    b_hh[2 * H:] = 5.0
    args = (x, h, w_ih, w_hh, b_ih, b_hh)
    cases.append(Case("the reset gate multiplies W_hn h + b_hn only", run=lambda c, a=args: _gru_cell(c, *a),
                      expected=lambda a=args: _one_step(*a)))
    return cases


def _reparameterize(module, mu, logvar, seed, offset, threads):
    xp = array_module(module)
    n = mu.size
    nblocks = (offset + n + 3) // 4 - offset // 4          # the Philox blocks that hold words offset .. offset+n-1
    z = xp.asarray(np.full(mu.shape, np.nan, np.float32))
    eps = xp.asarray(np.full(mu.shape, np.nan, np.float32))
    module.get_function("reparameterize_forward_kernel")(
        ((nblocks + threads - 1) // threads,), (threads,),
        (z, eps, xp.asarray(mu), xp.asarray(logvar), np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32),
         np.uint32(offset & 0xFFFFFFFF), np.uint32(offset >> 32), np.int32(n), np.int32(nblocks)))
    return {"z": z, "eps": eps}


def _reference(mu, logvar, seed, offset):
    z, eps = latent_ref.reparameterize_forward(mu, logvar, seed, offset)
    return {"z": z, "eps": eps}


def reparameterize_cuda_cases():
    rng = np.random.default_rng(2)
    cases = []
    for (B, Z), seed, offset, threads in [((1, 1), 0, 0, 32), ((3, 7), 5, 3, 64), ((16, 32), 2**40 + 3, 2**33 + 2, 256),
                                          ((5, 9), 11, 6, 32)]:
        mu = rng.standard_normal((B, Z)).astype(np.float32)
        logvar = rng.standard_normal((B, Z)).astype(np.float32)
        a = (mu, logvar, seed, offset)
        cases.append(Case(f"B={B} Z={Z} offset={offset}, {threads} threads",
                          run=lambda m, a=a, t=threads: _reparameterize(m, *a, t),
                          expected=lambda a=a: _reference(*a), rtol=1e-5, atol=1e-6))
    zero = np.zeros((2, 6), np.float32)
    cases.append(Case("mu 0, logvar 0: z is the stream from offset 1 (not a multiple of 4)",
                      run=lambda m: _reparameterize(m, zero, zero, 7, 1, 32),
                      expected=lambda: _reference(zero, zero, 7, 1), rtol=1e-6, atol=1e-6))
    mu = rng.standard_normal((4, 10)).astype(np.float32)
    logvar = rng.standard_normal((4, 10)).astype(np.float32)

    def reversed_order(module):
        with emu_schedule(module, "reverse"):
            return _reparameterize(module, mu, logvar, 3, 5, 32)
    cases.append(Case("threads scheduled in reverse order", run=reversed_order,
                      expected=lambda: _reference(mu, logvar, 3, 5), rtol=1e-5, atol=1e-6))
    return cases


TASKS = [
    Task(name="Gaussian KL backward in NumPy", lang="python", stub="gaussian_kl_backward.py",
         symbol="gaussian_kl_backward", reference="pystory/latent.py", cases=gaussian_kl_backward_cases, points=2,
         hint="each KL value depends on one mean and one log-variance only: differentiate half the square of the "
              "mean, and half of the exponential of the log-variance minus the log-variance itself, by hand; "
              "the chain rule then multiplies each by the incoming gradient"),
    Task(name="GRU cell forward in C", lang="c", stub="gru_cell.c", symbol="gru_cell_forward",
         reference="csrc/gru_cell.c", cases=gru_cell_c_cases, points=4,
         cdecl="void gru_cell_forward(float* h_new, const float* x, const float* h, const float* w_ih, "
               "const float* w_hh, const float* b_ih, const float* b_hh, int B, int I, int H);",
         hint="for each (b, j): six dot products (three gates, two sides each), then the four formulas"),
    Task(name="fused reparameterize kernel in CUDA", lang="cuda", stub="reparameterize.cu",
         symbol="reparameterize_forward_kernel", reference="cuda/latent.cu", cases=reparameterize_cuda_cases,
         points=4,
         hint="rebuild the 64-bit seed and offset from their halves; the thread's stream block comes from the "
              "offset and the thread's global index; two Box-Muller calls give the four normals of the block; "
              "write only the words that fall inside this call's range"),
]
