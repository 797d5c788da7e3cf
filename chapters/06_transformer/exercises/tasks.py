"""Chapter 06 homework: what `make grade CH=06` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, the NumPy reference's answer, computed where your code
never runs. Outputs start as NaN so that "did nothing" never passes.
"""
import numpy as np

from pystory import crossentropy as ce_ref
from pystory import layernorm as ln_ref
from pystory import optim as optim_ref
from pystory.grading import Case, Task, array_module


def layernorm_backward_cases():
    rng = np.random.default_rng(0)
    cases = []
    for shape, dtype in [((1, 1), np.float64), ((3, 8), np.float32), ((2, 5, 16), np.float32),
                         ((4, 33), np.float64)]:
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        w = rng.standard_normal(shape[-1]).astype(dtype)
        b = rng.standard_normal(shape[-1]).astype(dtype)
        dout = rng.standard_normal(shape).astype(dtype)
        _, mean, rstd = ln_ref.layernorm_forward(x, w, b)

        def run(fn, x=x, w=w, dout=dout, mean=mean, rstd=rstd):
            dx, dw, db = fn(dout, x, w, mean, rstd)
            return {"dx": dx, "dw": dw, "db": db}

        def expected(x=x, w=w, dout=dout, mean=mean, rstd=rstd):
            return dict(zip(("dx", "dw", "db"), ln_ref.layernorm_backward(dout, x, w, mean, rstd)))
        f32 = dtype == np.float32
        cases.append(Case(f"shape {shape} {np.dtype(dtype).name}", run=run, expected=expected, same_dtype=True,
                          rtol=1e-4 if f32 else 1e-9, atol=1e-5 if f32 else 1e-11))
    return cases


def crossentropy_fused_c_cases():
    rng = np.random.default_rng(1)
    cases = []

    def run(c, logits, targets, fill=np.nan):
        N, V = logits.shape
        losses = np.full(N, fill, np.float32)
        dlogits = np.full((N, V), fill, np.float32)
        rc = c.fn(c.ptr(losses), c.ptr(dlogits), c.ptr(logits), c.ptr(targets), N, V)
        return {"rc": rc, "losses": losses, "dlogits": dlogits}

    def expected(logits, targets):
        want_l, want_d = ce_ref.crossentropy_fused(logits, targets)
        return {"rc": 0, "losses": want_l, "dlogits": want_d}
    for N, V in [(1, 2), (4, 10), (16, 257), (3, 5000)]:
        logits = (rng.standard_normal((N, V)) * 3).astype(np.float32)
        targets = rng.integers(0, V, N).astype(np.int32)
        cases.append(Case(f"N={N} V={V}", run=lambda c, lg=logits, t=targets: run(c, lg, t),
                          expected=lambda lg=logits, t=targets: expected(lg, t)))
    big = np.array([[1e4, 0.0, -1e4], [0.0, 80.0, 90.0]], np.float32)
    t = np.array([1, 2], np.int32)
    cases.append(Case("logits of 1e4 (stable log-sum-exp)", run=lambda c: run(c, big, t),
                      expected=lambda: expected(big, t)))
    bad = np.array([0, 3], np.int32)
    cases.append(Case("out-of-range target returns -1, writes nothing", run=lambda c: run(c, big, bad, fill=7.0),
                      expected=lambda: {"rc": -1, "losses": np.full(2, 7.0, np.float32),
                                        "dlogits": np.full((2, 3), 7.0, np.float32)}))
    return cases


def adamw_cuda_cases():
    rng = np.random.default_rng(2)
    cases = []
    step, lr, b1, b2, eps, wd = 3, 1e-2, 0.9, 0.95, 1e-8, 0.1
    for n, threads, masked in [(1, 32, False), (1000, 256, False), (777, 128, True)]:
        p0, g = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
        m0 = rng.standard_normal(n).astype(np.float32) * 0.1
        v0 = rng.random(n).astype(np.float32) * 0.1
        mask = (rng.random(n) < 0.5).astype(np.uint8)

        def run(module, n=n, threads=threads, masked=masked, p0=p0, g=g, m0=m0, v0=v0, mask=mask):
            xp = array_module(module)
            p, m, v = (xp.asarray(a.copy()) for a in (p0, m0, v0))
            module.get_function("adamw_update_kernel")(
                ((n + threads - 1) // threads,), (threads,),
                (p, xp.asarray(g), m, v, np.int32(n), np.float32(lr), np.float32(b1), np.float32(b2),
                 np.float32(1 - b1 ** step), np.float32(1 - b2 ** step), np.float32(eps), np.float32(wd),
                 xp.asarray(mask), np.int32(masked)))
            return {"m": m, "v": v, "params": p}

        def expected(masked=masked, p0=p0, g=g, m0=m0, v0=v0, mask=mask):
            wp, wm, wv = p0.copy(), m0.copy(), v0.copy()
            optim_ref.adamw_update(wp, g, wm, wv, step, lr, b1, b2, eps, wd, mask if masked else None)
            return {"m": wm, "v": wv, "params": wp}
        cases.append(Case(f"n={n}, {threads} threads" + (", with a decay mask" if masked else ""), run=run,
                          expected=expected))
    return cases


TASKS = [
    Task(name="LayerNorm backward in NumPy", lang="python", stub="layernorm_backward.py",
         symbol="layernorm_backward", reference="pystory/layernorm.py", cases=layernorm_backward_cases, points=3,
         hint="rebuild the normalised input from mean and rstd; dw and db sum over every axis but the last; "
              "dx needs two means over the last axis of the gradient flowing into the normalised input"),
    Task(name="fused cross-entropy in C", lang="c", stub="crossentropy_fused.c", symbol="crossentropy_fused",
         reference="csrc/crossentropy.c", cases=crossentropy_fused_c_cases, points=4,
         cdecl="int crossentropy_fused(float* losses, float* dlogits, const float* logits, "
               "const int* targets, int N, int V);",
         hint="validate every target before writing anything; per row a stable log-sum-exp gives the loss, "
              "and the gradient is the softmax minus a one at the target, averaged over the rows"),
    Task(name="AdamW kernel in CUDA", lang="cuda", stub="adamw.cu", symbol="adamw_update_kernel",
         reference="cuda/optim.cu", cases=adamw_cuda_cases, points=3,
         hint="one thread per parameter, and threads past n do nothing; update both moments, correct their "
              "bias, then step the parameter, with weight decay only where the mask allows it"),
]
