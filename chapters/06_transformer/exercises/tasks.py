"""Chapter 06 homework: what `make grade CH=06` checks.

Each check yields (case name, thunk); a thunk raises when the learner's
code disagrees with the NumPy reference. Outputs start as NaN so that
"did nothing" never passes.
"""
import numpy as np

from pystory import crossentropy as ce_ref
from pystory import layernorm as ln_ref
from pystory import optim as optim_ref
from pystory.grading import Task, array_module
from pystory.testing import assert_agree


def check_layernorm_backward(layernorm_backward):
    rng = np.random.default_rng(0)
    for shape, dtype in [((1, 1), np.float64), ((3, 8), np.float32), ((2, 5, 16), np.float32),
                         ((4, 33), np.float64)]:
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        w = rng.standard_normal(shape[-1]).astype(dtype)
        b = rng.standard_normal(shape[-1]).astype(dtype)
        dout = rng.standard_normal(shape).astype(dtype)

        def case(x=x, w=w, b=b, dout=dout):
            _, mean, rstd = ln_ref.layernorm_forward(x, w, b)
            got = layernorm_backward(dout, x, w, mean, rstd)
            want = ln_ref.layernorm_backward(dout, x, w, mean, rstd)
            for name, g, e in zip(("dx", "dw", "db"), got, want):
                g = np.asarray(g)
                assert g.dtype == e.dtype, f"{name}: dtype {g.dtype}, expected {e.dtype}"
                assert_agree(g, e, rtol=1e-4 if dtype == np.float32 else 1e-9,
                             atol=1e-5 if dtype == np.float32 else 1e-11, name=name)
        yield f"shape {shape} {np.dtype(dtype).name}", case


def check_crossentropy_fused_c(c):
    rng = np.random.default_rng(1)
    for N, V in [(1, 2), (4, 10), (16, 257), (3, 5000)]:
        logits = (rng.standard_normal((N, V)) * 3).astype(np.float32)
        targets = rng.integers(0, V, N).astype(np.int32)

        def case(logits=logits, targets=targets, N=N, V=V):
            losses = np.full(N, np.nan, np.float32)
            dlogits = np.full((N, V), np.nan, np.float32)
            rc = c.fn(c.ptr(losses), c.ptr(dlogits), c.ptr(logits), c.ptr(targets), N, V)
            assert rc == 0, f"returned {rc} for valid targets"
            want_l, want_d = ce_ref.crossentropy_fused(logits, targets)
            assert_agree(losses, want_l, name="losses")
            assert_agree(dlogits, want_d, name="dlogits")
        yield f"N={N} V={V}", case
    big = np.array([[1e4, 0.0, -1e4], [0.0, 80.0, 90.0]], np.float32)

    def stable():
        t = np.array([1, 2], np.int32)
        losses = np.full(2, np.nan, np.float32)
        dlogits = np.full((2, 3), np.nan, np.float32)
        c.fn(c.ptr(losses), c.ptr(dlogits), c.ptr(big), c.ptr(t), 2, 3)
        want_l, want_d = ce_ref.crossentropy_fused(big, t)
        assert_agree(losses, want_l, name="losses")
        assert_agree(dlogits, want_d, name="dlogits")
    yield "logits of 1e4 (stable log-sum-exp)", stable

    def bad_target():
        t = np.array([0, 3], np.int32)
        losses = np.full(2, 7.0, np.float32)
        dlogits = np.full((2, 3), 7.0, np.float32)
        rc = c.fn(c.ptr(losses), c.ptr(dlogits), c.ptr(big), c.ptr(t), 2, 3)
        assert rc == -1, f"a target of 3 with V=3 must return -1, got {rc}"
        assert (losses == 7.0).all() and (dlogits == 7.0).all(), "nothing may be written on a bad target"
    yield "out-of-range target returns -1, writes nothing", bad_target


def check_adamw_cuda(module):
    xp = array_module(module)
    kernel = module.get_function("adamw_update_kernel")
    rng = np.random.default_rng(2)
    for n, threads, masked in [(1, 32, False), (1000, 256, False), (777, 128, True)]:
        p0, g = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
        m0 = rng.standard_normal(n).astype(np.float32) * 0.1
        v0 = rng.random(n).astype(np.float32) * 0.1
        mask = (rng.random(n) < 0.5).astype(np.uint8)

        def case(n=n, threads=threads, masked=masked, p0=p0, g=g, m0=m0, v0=v0, mask=mask):
            step, lr, b1, b2, eps, wd = 3, 1e-2, 0.9, 0.95, 1e-8, 0.1
            p, m, v = (xp.asarray(a.copy()) for a in (p0, m0, v0))
            kernel(((n + threads - 1) // threads,), (threads,),
                   (p, xp.asarray(g), m, v, np.int32(n), np.float32(lr), np.float32(b1), np.float32(b2),
                    np.float32(1 - b1 ** step), np.float32(1 - b2 ** step), np.float32(eps), np.float32(wd),
                    xp.asarray(mask), np.int32(masked)))
            wp, wm, wv = p0.copy(), m0.copy(), v0.copy()
            optim_ref.adamw_update(wp, g, wm, wv, step, lr, b1, b2, eps, wd, mask if masked else None)
            assert_agree(m, wm, name="m")
            assert_agree(v, wv, name="v")
            assert_agree(p, wp, name="params")
        yield f"n={n}, {threads} threads" + (", with a decay mask" if masked else ""), case


TASKS = [
    Task(name="LayerNorm backward in NumPy", lang="python", stub="layernorm_backward.py",
         symbol="layernorm_backward", reference="pystory/layernorm.py", check=check_layernorm_backward, points=3,
         hint="xhat = (x - mean[..., None]) * rstd[..., None]; g = dout * w; two means over the last axis"),
    Task(name="fused cross-entropy in C", lang="c", stub="crossentropy_fused.c", symbol="crossentropy_fused",
         reference="csrc/crossentropy.c", check=check_crossentropy_fused_c, points=4,
         cdecl="int crossentropy_fused(float* losses, float* dlogits, const float* logits, "
               "const int* targets, int N, int V);",
         hint="check every target first; per row: max, sum of exp(z - max), lse; then the loss and (p - onehot)/N"),
    Task(name="AdamW kernel in CUDA", lang="cuda", stub="adamw.cu", symbol="adamw_update_kernel",
         reference="cuda/optim.cu", check=check_adamw_cuda, points=3,
         hint="i = blockIdx.x * blockDim.x + threadIdx.x; if (i >= n) return; then the five lines of the update"),
]
