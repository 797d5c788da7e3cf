"""Argument checks shared by every binding.

C and CUDA trust their pointers: cffi's from_buffer happily reinterprets a
float64 array as float32, and CuPy's RawKernel checks nothing. So each
binding checks dtype, shape, contiguity and device *before* the call, and
raises an error that names the op and the argument.
"""
import numpy as np

INT32_MAX = 2**31 - 1


def array_module_name(a):
    return type(a).__module__.split(".")[0]


def check_array(op, name, a, dtype, *, xp=np, ndim=None, shape=None, min_size=0):
    """Return `a` if it is a contiguous `xp` array of `dtype` with the given
    ndim/shape (None in `shape` means any size); else raise TypeError or
    ValueError naming `op` and `name`."""
    if not isinstance(a, xp.ndarray):
        where = "a NumPy array" if xp is np else f"a {xp.__name__} array (on the GPU)"
        got = type(a).__module__ + "." + type(a).__name__
        hint = ""
        if array_module_name(a) == "cupy" and xp is np:
            hint = " (this backend runs on the CPU: use .get() or the 'cuda' backend)"
        elif isinstance(a, np.ndarray):
            hint = " (move it with backend.asarray(...))"
        raise TypeError(f"{op}: argument '{name}' must be {where}, got {got}{hint}")
    if a.dtype != np.dtype(dtype):
        raise TypeError(f"{op}: argument '{name}' must have dtype {np.dtype(dtype).name}, "
                        f"got {a.dtype.name}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{op}: argument '{name}' must have {ndim} dimension(s), "
                         f"got shape {tuple(a.shape)}")
    if shape is not None:
        if len(shape) != a.ndim or any(s is not None and s != d for s, d in zip(shape, a.shape)):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{op}: argument '{name}' must have shape {want}, "
                             f"got {tuple(a.shape)}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{op}: argument '{name}' must be C-contiguous (got a strided view); "
                         f"pass np.ascontiguousarray({name})")
    if a.size > INT32_MAX:
        raise ValueError(f"{op}: argument '{name}' has {a.size} elements; at most {INT32_MAX} are supported")
    if a.size < min_size:
        raise ValueError(f"{op}: argument '{name}' must have at least {min_size} element(s), got {a.size}")
    return a


def leading_rows(op, name, x, C):
    """For x of shape (..., C): the number of rows N = product of the leading dims
    (0 if any is 0), after checking that the last dimension is C."""
    if x.ndim < 1:
        raise ValueError(f"{op}: argument '{name}' must have at least 1 dimension, got a scalar")
    if x.shape[-1] != C:
        raise ValueError(f"{op}: argument '{name}' must have last dimension {C}, got shape {x.shape}")
    return x.size // C if C else int(np.prod(x.shape[:-1]))


def check_scalar(op, name, v, kind=float):
    """A Python/NumPy number that must be finite (float) or an int."""
    if kind is int:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: argument '{name}' must be an int, got {type(v).__name__}")
        return int(v)
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: argument '{name}' must be a number, got {type(v).__name__}")
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"{op}: argument '{name}' must be finite, got {v}")
    return v
