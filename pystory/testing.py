"""Helpers for tests that compare implementations: assert_agree and gradient checks."""
import numpy as np

from pystory.common import to_numpy

# Default tolerances by dtype: float32 ops that reorder a sum differ in the
# last bits; float64 references agree far more tightly; integers exactly.
TOLERANCES = {
    np.dtype(np.float16): (1e-2, 1e-3),
    np.dtype(np.float32): (1e-4, 1e-5),
    np.dtype(np.float64): (1e-10, 1e-12),
}


def assert_agree(actual, expected, *, rtol=None, atol=None, name="result"):
    """Assert `actual` matches `expected`: exactly for integers and bools, else
    within dtype-aware tolerances (|a - e| <= atol + rtol * |e|). On failure the
    message gives the max absolute and relative difference and where it is."""
    a, e = to_numpy(actual), to_numpy(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{name}: shape {a.shape} != expected {e.shape}")
    if a.dtype.kind in "iub" or e.dtype.kind in "iub":
        if a.dtype.kind != e.dtype.kind and not (a.dtype.kind in "iu" and e.dtype.kind in "iu"):
            raise AssertionError(f"{name}: dtype {a.dtype} cannot equal {e.dtype} exactly")
        bad = np.flatnonzero(a.ravel() != e.ravel())
        if bad.size:
            i = tuple(int(j) for j in np.unravel_index(bad[0], a.shape))
            raise AssertionError(f"{name}: {bad.size} of {a.size} values differ; first at {i}: "
                                 f"{a[i].item()} != expected {e[i].item()}")
        return
    dt = np.dtype(a.dtype) if a.dtype.itemsize <= e.dtype.itemsize else np.dtype(e.dtype)
    r0, a0 = TOLERANCES.get(dt, TOLERANCES[np.dtype(np.float32)])
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    same_special = (np.isnan(a64) & np.isnan(e64)) | (np.isinf(a64) & (a64 == e64))
    with np.errstate(invalid="ignore"):
        diff = np.where(same_special, 0.0, np.abs(a64 - e64))
    diff[np.isnan(diff)] = np.inf  # a NaN where a number was expected (or the reverse)
    bad = diff > atol + rtol * np.abs(np.nan_to_num(e64))
    if bad.any():
        rel = diff / np.maximum(np.abs(np.nan_to_num(e64)), 1e-30)
        i = tuple(int(j) for j in np.unravel_index(np.argmax(np.where(bad, diff, -1.0)), a.shape))
        raise AssertionError(
            f"{name}: {int(bad.sum())} of {a.size} values outside tolerance (rtol={rtol:g}, atol={atol:g}); "
            f"max abs diff {diff.max():.3g}, max rel diff {rel.max():.3g}; "
            f"worst at {i}: {a[i].item()!r} vs expected {e[i].item()!r}")


def numerical_grad(f, x, eps=1e-6):
    """Central finite differences of the scalar function f() with respect to the
    float64 array x, which f reads (x is perturbed in place and restored)."""
    if x.dtype != np.float64:
        raise TypeError("numerical_grad: use float64 inputs; float32 differences are too noisy")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def check_grad(loss, inputs, grads, *, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Compare analytic gradients against finite differences, all in float64.

    loss:   a function of no arguments returning a scalar; it reads the arrays
            in `inputs` (a dict name -> float64 array).
    grads:  dict name -> analytic gradient of loss with respect to inputs[name].
    """
    for name, x in inputs.items():
        num = numerical_grad(loss, x, eps)
        assert_agree(grads[name], num, rtol=rtol, atol=atol, name=f"d loss / d {name}")
