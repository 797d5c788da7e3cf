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
    shown = f"{spec.shape_text} = ({', '.join(parts)}{',' if len(parts) == 1 else ''})"
    given = {}
    for name, arg in spec.fixed_by.items():
        if name in sizes and name in [d.name for d in spec.dims] + [GROUP] * spec.group:
            given.setdefault(arg, []).append(name)
    if given:
        shown += " (" + "; ".join(f"{', '.join(n)} as in '{arg}'" for arg, n in given.items()) + ")"
    return shown


def _bad_shape(spec, a, sizes, why=""):
    return ValueError(f"{spec.op}: {spec.label} must have shape {_shown(spec, sizes)}, got {tuple(a.shape)}{why}")


# --- one argument ----------------------------------------------------------------------
# For each argument of a declaration, a checker is built once (when the backend is
# built): check(value, sizes) returns the (normalised) value and binds the names it
# fixes into `sizes`. What the declaration says is read into local variables here,
# so a call only compares numbers.

def array_checker(spec, ctx):
    ndarray, on_cpu, dtype, dtypes = ctx.ndarray, ctx.on_cpu, spec.dtype, spec.dtypes
    group, simple, simple_dims, dims, ndims = spec.group, spec.simple, spec.simple_dims, spec.dims, len(spec.dims)
    contiguous, writes, optional = spec.contiguous, spec.writes and ctx.on_cpu, spec.optional

    def check(a, sizes):
        if not isinstance(a, ndarray):
            if a is None and optional:
                return None
            raise TypeError(_not_an_array(spec, a, ctx))
        if a.dtype != dtype and (dtype is not None or a.dtype not in dtypes):
            want = " or ".join(d.name for d in dtypes)
            raise TypeError(f"{spec.op}: {spec.label} must have dtype {want}, got {a.dtype.name}")
        shape = a.shape
        if group:
            n = len(shape) - ndims
            if n < 0:
                raise ValueError(f"{spec.op}: {spec.label} must have shape {spec.shape_text} (at least "
                                 f"{ndims} dimension{'s' if ndims != 1 else ''}), got {tuple(shape)}")
            old = sizes.get(GROUP)
            if old is None:
                sizes[GROUP] = shape[:n]
            elif old != shape[:n]:
                raise _bad_shape(spec, a, sizes)
            shape = shape[n:]
        elif len(shape) != ndims:
            raise ValueError(f"{spec.op}: {spec.label} must have shape {spec.shape_text} "
                             f"({ndims} dimension{'s' if ndims != 1 else ''}), got {tuple(shape)}")
        if simple:                       # names and literals only: the common case
            for d, s in zip(simple_dims, shape):
                if d.__class__ is str:
                    v = sizes.get(d)
                    if v is None:
                        sizes[d] = s
                    elif v != s:
                        raise _bad_shape(spec, a, sizes)
                elif d is not None and d != s:
                    raise _bad_shape(spec, a, sizes)
        else:
            _bind_dims(spec, a, shape, dims, sizes)
        if contiguous and not a.flags.c_contiguous:
            raise ValueError(f"{spec.op}: {spec.label} must be C-contiguous (got a strided view); "
                             f"pass np.ascontiguousarray({spec.name}) (or backend.asarray)")
        if a.size > INT32_MAX:
            raise ValueError(f"{spec.op}: {spec.label} has {a.size} elements; at most {INT32_MAX} are "
                             "supported (the kernels index with 32-bit ints)")
        if writes and not a.flags.writeable:
            raise ValueError(f"{spec.op}: {spec.label} is read-only (a read-only memmap, np.frombuffer of "
                             f"bytes, or setflags(write=False)), but {spec.op} writes it in place; "
                             "pass a writable copy")
        return a
    return check


def _bind_dims(spec, a, shape, dims, sizes):
    """The general case of a shape: multiples and offsets (3C, W+1) and wildcards."""
    for axis, (d, s) in enumerate(zip(dims, shape)):
        name = d.name
        if name is None:
            if d.value is not None and s != d.value:
                raise _bad_shape(spec, a, sizes)
            continue
        v = sizes.get(name)
        if v is None:
            q, r = divmod(s - d.add, d.mult)
            if r or q < 0:
                raise _bad_shape(spec, a, sizes, f" (its axis {axis + a.ndim - len(dims)} has {s}, "
                                                 f"not of the form {d.text})")
            sizes[name] = q
        elif s != d.mult * v + d.add:
            raise _bad_shape(spec, a, sizes)


def _range_checker(spec):
    """check(v, sizes): v in the declared interval, else ValueError (None: no interval)."""
    within = spec.within
    if within is None:
        return None
    if not within.names:                 # constant bounds: compare with numbers
        lo, hi = within.limits({})
        lo_ok = (lambda v: v > lo) if within.lo_open else (lambda v: v >= lo)
        hi_ok = (lambda v: v < hi) if within.hi_open else (lambda v: v <= hi)

        def check(v, sizes):
            if not (lo_ok(v) and hi_ok(v)):
                raise ValueError(f"{spec.op}: {spec.label} must be in {within.text}, got {v}")
        return check

    def check(v, sizes):
        lo, hi = within.limits(sizes)
        if not within.contains(v, lo, hi):
            raise ValueError(f"{spec.op}: {spec.label} must be in {within.shown(sizes)}, got {v}")
    return check


def number_checker(spec, ctx):
    in_range = _range_checker(spec)

    def check(v, sizes):
        if type(v) is not float:
            if type(v) is bool or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"{spec.op}: {spec.label} must be a number, got {_typename(v)}")
            try:
                v = float(v)
            except OverflowError:
                raise ValueError(f"{spec.op}: {spec.label} must be finite, got an int too large for a float") \
                    from None
        if v - v != 0.0:                 # inf - inf and nan - nan are nan
            raise ValueError(f"{spec.op}: {spec.label} must be finite, got {v}")
        if in_range is not None:
            in_range(v, sizes)
        return v
    return check


def int_checker(spec, ctx):
    in_range, name = _range_checker(spec), spec.name

    def check(v, sizes):
        if type(v) is not int:
            if type(v) is bool or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{spec.op}: {spec.label} must be an int, got {_typename(v)}")
            v = int(v)
        in_range(v, sizes)
        old = sizes.get(name)
        if old is None:
            sizes[name] = v              # an int is a size name too: "(B, n_head, T, T)"
        elif old != v:
            raise ValueError(f"{spec.op}: {spec.label} must equal {name} = {old} (fixed by an earlier "
                             f"argument), got {v}")
        return v
    return check


def choice_checker(spec, ctx):
    options = spec.options

    def check(v, sizes):
        if type(v) is not str or v not in options:
            raise ValueError(f"{spec.op}: {spec.label} must be one of {options}, got {v!r}")
        return v
    return check


def tuple_checker(spec, ctx):
    items = [CHECKERS[s.kind](s, ctx) for s in spec.items.values()]
    n = len(items)

    def check(v, sizes):
        if type(v) is not tuple or len(v) != n:
            raise TypeError(f"{spec.op}: {spec.label} must be the {spec.tuple_name} returned by the matching "
                            f"forward, a tuple ({', '.join(spec.item_names)}), got {_typename(v)}"
                            + (f" of {len(v)}" if isinstance(v, (tuple, list)) else ""))
        return tuple([item(x, sizes) for item, x in zip(items, v)])
    return check


CHECKERS = {"array": array_checker, "number": number_checker, "int": int_checker,
            "choice": choice_checker, "tuple": tuple_checker}


# --- after every argument: values in range, distinct buffers, the op's own rules -----------

def check_values(spec, a, sizes):
    """Every element of `a` in the declared interval (ids in [0, V): C and CUDA index with them)."""
    if a is None or a.size == 0:
        return
    lo, hi = spec.within.limits(sizes)
    if a.size <= 64 and isinstance(a, np.ndarray):
        values = a.ravel().tolist()          # a NumPy reduction costs microseconds even for 8 ids
        mn, mx = min(values), max(values)
    elif lo == 0 and spec.within.hi_open and not spec.within.lo_open and a.dtype.kind == "i":
        # one reduction instead of two: as unsigned, a negative id is larger than any V
        if int(a.view(a.dtype.str.replace("i", "u")).max()) < hi:
            return
        mn, mx = a.min().item(), a.max().item()
    elif a.dtype.kind in "iu":
        # a bound the dtype itself cannot pass needs no reduction: int8 weights in [-127, 127]
        # are checked with one min (for -128), not a min and a max over every weight
        info = np.iinfo(a.dtype)
        mn = None if spec.within.contains(int(info.min), lo, hi) else a.min().item()
        mx = None if spec.within.contains(int(info.max), lo, hi) else a.max().item()
    else:
        mn, mx = a.min().item(), a.max().item()
    for v in (mn, mx):
        if v is not None and not spec.within.contains(v, lo, hi):
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
        rules.append((fn, tuple((w, index.get(w)) for w in wants)))   # each rule gets what it names
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
            why = fn(*[ctx.xp if w == "xp" else vals[i] if i is not None else sizes.get(w) for w, i in wants])
            if why:
                raise ValueError(f"{op}: {why}")
    return finish


# --- wrapping one backend function ------------------------------------------------------------

def wrap(decl, fn, ctx, device=None):
    """`fn` (a backend's function for decl.op), behind the checker. The result has the
    declaration's signature. fn receives the checked arguments it names (a backend may
    leave out a declared kernel `version` it has no choice of), then the sizes it asks
    for by naming them as extra parameters after those: def rowsum(x, R, C)."""
    params = list(inspect.signature(fn).parameters.values())
    if device is not None:
        params = params[1:]                               # the GPU launches take the device first
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params if p.name in decl.names):
        raise TypeError(f"{decl.op}: the {ctx.name} function must take its declared arguments positionally")
    takes = [p.name for p in params]
    sized = [n for n in takes if n not in decl.names]
    if sized and any(n in decl.names for n in takes[takes.index(sized[0]):]):
        raise TypeError(f"{decl.op}: the {ctx.name} function takes {takes}; the sizes it asks for "
                        f"({sized}) must come after the declared arguments")
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
    checks = [CHECKERS[s.kind](s, ctx) for s in decl.specs]
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
        vals = [check(a, sizes) for check, a in zip(checks, args)]
        if finish is not None:
            finish(vals, sizes, ctx)
        if pick is not None:
            vals = [vals[i] for i in pick]
        if sized:
            return call(*vals, *[sizes[k] for k in sized])
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
                CHECKERS[spec.kind](spec, ctx)(v, sizes)
            except (TypeError, ValueError) as e:
                raise AssertionError(str(e)) from None

