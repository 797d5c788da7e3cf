"""The checker: one function per backend op that enforces the op's declaration, then calls it.

C and CUDA trust their pointers: cffi's from_buffer happily reinterprets a
float64 array as float32, and CuPy's RawKernel checks nothing. So before any
backend runs, `wrap(declaration, fn, ...)` checks every argument against the
declaration (pystory/declare.py) — dtype, shape, contiguity, device, ranges,
read-only outputs, aliasing, the op's named rules — normalises scalars to
Python int/float, fills defaults, and only then calls `fn`. Every backend,
numpy included, gets the same checks and the same messages:

    linear_forward: argument 'b' must have shape (OC,) = (768,), got (512,)

This runs on every op call (generation makes ~60 per token), so the work is
split: everything about the declaration is worked out once, in `wrap`; a call
only compares numbers. Shape names live in a plain dict, `sizes`.
"""
import functools
import inspect

import numpy as np

from pystory.declare import GROUP, INT32_MAX

_MISSING = inspect.Parameter.empty


class Context:
    """Where a backend's arrays live: NumPy (numpy, c, emu) or CuPy (cuda)."""

    def __init__(self, name, xp):
        self.name, self.xp, self.ndarray = name, xp, xp.ndarray
        self.on_cpu = xp is np


# --- messages --------------------------------------------------------------------

def _typename(v):
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _not_an_array(spec, a, ctx):
    where = "a NumPy array" if ctx.on_cpu else "a cupy array (on the GPU)"
    hint = ""
    if ctx.on_cpu and type(a).__module__.split(".")[0] == "cupy":
        hint = " (this backend runs on the CPU: use .get() or the 'cuda' backend)"
    elif not ctx.on_cpu and isinstance(a, np.ndarray):
        hint = " (move it with backend.asarray(...))"
    return f"{spec.op}: {spec.label} must be {where}, got {_typename(a)}{hint}"


def _shown(spec, sizes):
    """The declared shape with the values bound so far: "(OC, C) = (OC, 768)"."""
    parts, any_bound = [], False
    if spec.group:
        lead = sizes.get(GROUP)
        any_bound |= lead is not None
        parts += ["..."] if lead is None else [str(d) for d in lead]
    for d in spec.dims:
        if d.name is not None and d.name in sizes:
            parts.append(str(d.mult * sizes[d.name] + d.add))
            any_bound = True
        else:
            parts.append(d.text)
    if not any_bound:
        return spec.shape_text
    return f"{spec.shape_text} = ({', '.join(parts)}{',' if len(parts) == 1 else ''})"


def _bad_shape(spec, a, sizes, why=""):
    return ValueError(f"{spec.op}: {spec.label} must have shape {_shown(spec, sizes)}, got {tuple(a.shape)}{why}")


# --- one argument ----------------------------------------------------------------------
# Each returns the (normalised) value, binding the names it fixes into `sizes`.

def check_array(spec, a, sizes, ctx):
    if not isinstance(a, ctx.ndarray):
        if a is None and spec.optional:
            return None
        raise TypeError(_not_an_array(spec, a, ctx))
    if a.dtype != spec.dtype and (spec.dtype is not None or a.dtype not in spec.dtypes):
        want = " or ".join(d.name for d in spec.dtypes)
        raise TypeError(f"{spec.op}: {spec.label} must have dtype {want}, got {a.dtype.name}")
    shape = a.shape
    dims = spec.dims
    if spec.group:
        n = len(shape) - len(dims)
        if n < 0:
            raise ValueError(f"{spec.op}: {spec.label} must have shape {spec.shape_text} "
                             f"(at least {len(dims)} dimension{'s' if len(dims) != 1 else ''}), got {tuple(shape)}")
        lead = shape[:n]
        old = sizes.get(GROUP)
        if old is None:
            sizes[GROUP] = lead
        elif old != lead:
            raise _bad_shape(spec, a, sizes)
        shape = shape[n:]
    elif len(shape) != len(dims):
        raise ValueError(f"{spec.op}: {spec.label} must have shape {spec.shape_text} "
                         f"({len(dims)} dimension{'s' if len(dims) != 1 else ''}), got {tuple(shape)}")
    for axis, (d, s) in enumerate(zip(dims, shape)):
        name = d.name
        if name is None:
            if d.value is not None and s != d.value:
                raise _bad_shape(spec, a, sizes)
            continue
        v = sizes.get(name)
        if v is None:
            if d.mult == 1 and d.add == 0:
                sizes[name] = s
                continue
            q, r = divmod(s - d.add, d.mult)
            if r or q < 0:
                raise _bad_shape(spec, a, sizes, f" (its axis {axis + len(a.shape) - len(dims)} has {s}, "
                                                 f"not of the form {d.text})")
            sizes[name] = q
        elif s != d.mult * v + d.add:
            raise _bad_shape(spec, a, sizes)
    if spec.contiguous and not a.flags.c_contiguous:
        raise ValueError(f"{spec.op}: {spec.label} must be C-contiguous (got a strided view); "
                         f"pass np.ascontiguousarray({spec.name}) (or backend.asarray)")
    if a.size > INT32_MAX:
        raise ValueError(f"{spec.op}: {spec.label} has {a.size} elements; at most {INT32_MAX} are supported "
                         "(the kernels index with 32-bit ints)")
    if spec.writes and ctx.on_cpu and not a.flags.writeable:
        raise ValueError(f"{spec.op}: {spec.label} is read-only (a read-only memmap, np.frombuffer of bytes, "
                         f"or setflags(write=False)), but {spec.op} writes it in place; pass a writable copy")
    return a


def _in_range(spec, v, sizes):
    lo, hi = spec.within.limits(sizes)
    if not spec.within.contains(v, lo, hi):
        raise ValueError(f"{spec.op}: {spec.label} must be in {spec.within.shown(sizes)}, got {v}")


def check_number(spec, v, sizes, ctx):
    if type(v) is not float:
        if type(v) is bool or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{spec.op}: {spec.label} must be a number, got {_typename(v)}")
        try:
            v = float(v)
        except OverflowError:
            raise ValueError(f"{spec.op}: {spec.label} must be finite, got an int too large for a float") from None
    if v - v != 0.0:                                    # inf - inf and nan - nan are nan
        raise ValueError(f"{spec.op}: {spec.label} must be finite, got {v}")
    if spec.within is not None:
        _in_range(spec, v, sizes)
    return v


def check_int(spec, v, sizes, ctx):
    if type(v) is not int:
        if type(v) is bool or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{spec.op}: {spec.label} must be an int, got {_typename(v)}")
        v = int(v)
    _in_range(spec, v, sizes)
    old = sizes.get(spec.name)
    if old is None:
        sizes[spec.name] = v                            # an int is a size name too: "(B, n_head, T, T)"
    elif old != v:
        raise ValueError(f"{spec.op}: {spec.label} must equal {spec.name} = {old} (fixed by an earlier "
                         f"argument), got {v}")
    return v


def check_choice(spec, v, sizes, ctx):
    if type(v) is not str or v not in spec.options:
        raise ValueError(f"{spec.op}: {spec.label} must be one of {spec.options}, got {v!r}")
    return v


def check_tuple(spec, v, sizes, ctx):
    if type(v) is not tuple or len(v) != len(spec.items):
        raise TypeError(f"{spec.op}: {spec.label} must be the {spec.tuple_name} returned by the matching "
                        f"forward, a tuple ({', '.join(spec.item_names)}), got {_typename(v)}"
                        + (f" of {len(v)}" if isinstance(v, (tuple, list)) else ""))
    return tuple(CHECKS[s.kind](s, x, sizes, ctx) for s, x in zip(spec.items.values(), v))


CHECKS = {"array": check_array, "number": check_number, "int": check_int,
          "choice": check_choice, "tuple": check_tuple}


# --- after every argument: values in range, distinct buffers, the op's own rules -----------

def check_values(spec, a, sizes):
    """Every element of `a` in the declared interval (ids in [0, V): C and CUDA index with them)."""
    if a is None or a.size == 0:
        return
    lo, hi = spec.within.limits(sizes)
    if lo == 0 and spec.within.hi_open and not spec.within.lo_open and a.dtype.kind == "i":
        # one reduction instead of two: as unsigned, a negative id is larger than any V
        if int(a.view(a.dtype.str.replace("i", "u")).max()) < hi:
            return
    mn, mx = a.min(), a.max()
    mn, mx = mn.item(), mx.item()
    for v in (mn, mx):
        if not spec.within.contains(v, lo, hi):
            raise ValueError(f"{spec.op}: {spec.label} holds {v}, outside {spec.within.shown(sizes)}")


def _overlap(a, b, ctx):
    if ctx.on_cpu:
        return np.may_share_memory(a, b)   # bounds of contiguous arrays: exact
    pa, pb = a.data.ptr, b.data.ptr
    return pa < pb + b.nbytes and pb < pa + a.nbytes and a.nbytes and b.nbytes


def _finish(decl, index):
    """The checks run once every argument is bound, as one function (or None if there are none)."""
    ranged = [(i, decl.specs[i]) for i in decl.ranged]
    pairs = [(index[a], index[b], a, b) for k, a in enumerate(decl.distinct) for b in decl.distinct[k + 1:]]
    rules = []
    for fn, wants in decl.checks:
        rules.append((fn, tuple((w, index.get(w)) for w in wants)))
    if not (ranged or pairs or rules):
        return None
    op = decl.op

    def finish(vals, sizes, ctx):
        for i, spec in ranged:
            check_values(spec, vals[i], sizes)
        for i, j, a, b in pairs:
            if vals[i] is not None and vals[j] is not None and _overlap(vals[i], vals[j], ctx):
                raise ValueError(f"{op}: arguments '{a}' and '{b}' must be different buffers, but they share "
                                 f"memory (the op would read what it has just written); pass a copy")
        for fn, wants in rules:
            kw = {w: (ctx.xp if w == "xp" else vals[i] if i is not None else sizes.get(w)) for w, i in wants}
            why = fn(**kw)
            if why:
                raise ValueError(f"{op}: {why}")
    return finish


# --- wrapping one backend function ------------------------------------------------------------

def wrap(decl, fn, ctx, device=None):
    """`fn` (a backend's function for decl.op), behind the checker. The result has the
    declaration's signature. fn receives the checked arguments it names (a backend may
    leave out a declared kernel `version` it has no choice of), then, as keywords, any
    size names it asks for by naming them as extra parameters: def rowsum(x, R, C)."""
    params = list(inspect.signature(fn).parameters.values())
    if device is not None:
        params = params[1:]                               # the GPU launches take the device first
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params if p.name in decl.names):
        raise TypeError(f"{decl.op}: the {ctx.name} function must take its declared arguments positionally")
    takes = [p.name for p in params]
    sized = [n for n in takes if n not in decl.names]
    unknown = [n for n in sized if n not in decl.size_names]
    skipped = [n for n in decl.names if n not in takes]
    if unknown or any(decl.specs[decl.names.index(n)].kind != "choice" for n in skipped):
        raise TypeError(f"{decl.op}: the {ctx.name} function takes {takes}; the declaration has "
                        f"{list(decl.names)} (extra parameters may only be size names: {decl.size_names})")
    index = {n: i for i, n in enumerate(decl.names)}
    pick = [index[n] for n in takes if n in index]
    if pick == list(range(len(decl.names))):
        pick = None
    finish = _finish(decl, index)
    checks = [(CHECKS[s.kind], s) for s in decl.specs]
    names, defaults, positional = decl.names, decl.defaults, decl.positional
    n = len(names)
    first_default = n
    while first_default > 0 and defaults[first_default - 1] is not _MISSING:
        first_default -= 1
    op = decl.op

    def bind(args, kwargs):
        if len(args) > positional:
            raise TypeError(f"{op}() takes {positional} positional arguments but {len(args)} were given")
        vals = list(args) + [_MISSING] * (n - len(args))
        for k, v in kwargs.items():
            i = index.get(k)
            if i is None:
                raise TypeError(f"{op}() got an unexpected keyword argument '{k}'")
            if vals[i] is not _MISSING:
                raise TypeError(f"{op}() got multiple values for argument '{k}'")
            vals[i] = v
        for i, v in enumerate(vals):
            if v is _MISSING:
                if defaults[i] is _MISSING:
                    raise TypeError(f"{op}() missing required argument '{names[i]}'")
                vals[i] = defaults[i]
        return vals

    call = fn if device is None else functools.partial(fn, device)

    def checked(*args, **kwargs):
        if kwargs or not first_default <= len(args) <= positional:
            args = bind(args, kwargs)
        elif len(args) < n:
            args = args + defaults[len(args):]
        sizes = {}
        vals = [check(spec, a, sizes, ctx) for (check, spec), a in zip(checks, args)]
        if finish is not None:
            finish(vals, sizes, ctx)
        if pick is not None:
            vals = [vals[i] for i in pick]
        if sized:
            return call(*vals, **{k: sizes[k] for k in sized})
        return call(*vals)

    checked.__name__ = checked.__qualname__ = op
    checked.__doc__ = fn.__doc__
    checked.__signature__ = decl.signature
    checked.declaration = decl
    checked.__module__ = fn.__module__
    checked.__wrapped__ = fn            # inspect.unwrap: the unchecked function (tests of float64 references)
    return checked


# --- the declared returns (for the tests) -----------------------------------------------------

def check_returns(decl, result, sizes, ctx):
    """Raise AssertionError unless `result` is what decl.returns says (dtype and shape);
    `sizes` are those of the call and gain the names only an output fixes (data-dependent sizes)."""
    items = decl.returns
    if not items:
        assert result is None, f"{decl.op}: returned {type(result).__name__}, declared None"
        return
    values = result if len(items) > 1 else (result,)
    assert isinstance(values, tuple) and len(values) == len(items), \
        f"{decl.op}: returned {type(result).__name__}, declared {len(items)} value(s)"
    for r, v in zip(items, values):
        if r.kind == "float":
            assert type(v) is float, f"{decl.op}: '{r.name}' is {type(v).__name__}, declared float"
        elif r.kind == "int":
            assert type(v) is int, f"{decl.op}: '{r.name}' is {type(v).__name__}, declared int"
        else:
            spec = r.spec.labelled(decl.op, r.name, f"returned '{r.name}'")
            try:
                CHECKS[spec.kind](spec, v, sizes, ctx)
            except (TypeError, ValueError) as e:
                raise AssertionError(str(e)) from None


# --- legacy: the hand-written checks of layers not yet declared (removed once all are) ----------

def array_module_name(a):
    return type(a).__module__.split(".")[0]

def legacy_check_array(op, name, a, dtype, *, xp=np, ndim=None, shape=None, min_size=0):
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
