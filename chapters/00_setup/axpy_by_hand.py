"""axpy's C binding written out by hand: what the declaration above pystory.basics.axpy automates.

    from axpy_by_hand import axpy         # run from chapters/00_setup/
    axpy(2.0, x, y)                       # the same result and the same errors as pystory.backend("c").axpy

The course's own binding, pystory/c/basics.py, is only steps 2 and 3: the
checker of pystory/check.py runs step 1 for every op of every backend, from
the declaration

    @declare(a=number(), x=array(float32, "(N,)"), y=array(float32, "(N,)"), returns="out (N,)")

tests/test_basics.py checks that the two give the same messages.
"""
import math

import numpy as np

from pystory.c import ext, ptr

INT32_MAX = 2**31 - 1


def _check_vector(name, v, N=None):
    # "array(float32, '(N,)')": a NumPy array, float32, one dimension (N, as in x), contiguous, < 2^31
    if not isinstance(v, np.ndarray):
        raise TypeError(f"axpy: argument '{name}' must be a NumPy array, got {type(v).__name__}")
    if v.dtype != np.float32:
        raise TypeError(f"axpy: argument '{name}' must have dtype float32, got {v.dtype.name}")
    if v.ndim != 1:
        raise ValueError(f"axpy: argument '{name}' must have shape (N,) (1 dimension), got {v.shape}")
    if N is not None and v.shape[0] != N:
        raise ValueError(f"axpy: argument '{name}' must have shape (N,) = ({N},) (N as in 'x'), got {v.shape}")
    if not v.flags.c_contiguous:
        raise ValueError(f"axpy: argument '{name}' must be C-contiguous (got a strided view); "
                         f"pass np.ascontiguousarray({name}) (or backend.asarray)")
    if v.size > INT32_MAX:
        raise ValueError(f"axpy: argument '{name}' has {v.size} elements; at most {INT32_MAX} are supported "
                         "(the kernels index with 32-bit ints)")


def axpy(a, x, y):
    # 1. check: C trusts its pointers, so everything it would get wrong is refused first.
    #    "number()": an int or a float (not a bool), finite; C gets a Python float.
    if isinstance(a, bool) or not isinstance(a, (int, float, np.integer, np.floating)):
        raise TypeError(f"axpy: argument 'a' must be a number, got {type(a).__name__}")
    a = float(a)
    if not math.isfinite(a):
        raise ValueError(f"axpy: argument 'a' must be finite, got {a}")
    _check_vector("x", x)
    _check_vector("y", y, N=x.shape[0])
    # 2. allocate: Python owns every buffer; C writes into it.
    out = np.empty_like(y)
    # 3. call: pointers to NumPy's own memory (no copy) and the sizes.
    ext().lib.axpy(ptr(out), a, ptr(x), ptr(y), x.size)
    return out
