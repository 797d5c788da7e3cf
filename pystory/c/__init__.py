"""The C backend: bindings from NumPy arrays to the C ports in csrc/.

The compiled extension is pystory._cpystory (built by `make build`, see
pystory/cbuild.py). Each layer has a binding file here, pystory/c/<layer>.py,
that allocates the outputs and calls the C function. The arguments arrive
already checked against the op's declaration (pystory/check.py), so a
binding only allocates and calls (with n = 0 for an empty array: C's loops
then run zero times).
"""
import os

import numpy as np

from pystory.common import BackendUnavailable  # noqa: F401 (pystory.c.BackendUnavailable, as before)

# Idle OpenMP threads spin by default while they wait for the next parallel
# loop; on a laptop or a shared 2-core machine that steals the cores other
# work needs (even NumPy's). Passive waiting costs a few microseconds per loop.
# It must be set before the extension (and so libgomp) is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

_ext = None   # pystory._cpystory, imported on first use


def ext():
    """The compiled extension pystory._cpystory; BackendUnavailable with the fix if it is not built."""
    global _ext
    if _ext is None:
        try:
            from pystory import _cpystory
        except ImportError as e:
            raise BackendUnavailable(f"c backend: the C extension is not built ({e}). Run `make build` "
                                     "(it needs a C compiler such as gcc or clang).") from None
        _ext = _cpystory
    return _ext


# Pointers from NumPy arrays. The checker has already checked dtype and
# contiguity (pystory/check.py), so the cast below is exact.
_CTYPES = {np.float32: "float[]", np.int32: "int[]", np.uint16: "uint16_t[]",
           np.uint32: "uint32_t[]", np.uint8: "uint8_t[]", np.int8: "int8_t[]", np.float64: "double[]",
           np.int64: "int64_t[]", np.uint64: "uint64_t[]"}


def ptr(a):
    """A typed C pointer to the data of the contiguous NumPy array `a` (NULL for None)."""
    if a is None:
        return ext().ffi.NULL
    return ext().ffi.from_buffer(_CTYPES[a.dtype.type], a)
