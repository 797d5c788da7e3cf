"""Nothing reachable from Python crashes, and every refusal names the op and the argument.

Two tests, on numpy, c and emu (and cuda with a GPU):
  - garbage: every op, given garbage for all of its required arguments, raises
    TypeError or ValueError whose message starts with the op's name;
  - one wrong argument: from a valid call generated from the op's declaration
    (pystory/declare.py), each argument in turn is made wrong in each way the
    declaration rules out — wrong dtype, wrong rank, a size that disagrees with
    an earlier argument, a strided view, a list instead of an array, None where
    required, an id out of range, a non-finite or out-of-range scalar, a bool
    or a float for an int, an unknown version, buffers that must be distinct
    passed aliased — and the op must refuse it, naming that argument.
"""
import inspect
import math

import numpy as np
import pytest

import pystory
from pystory.backend import declarations
from pystory.declare import GROUP, binding_names

GARBAGE = {
    "float64 arrays": lambda: np.zeros(3, np.float64),
    "strided views": lambda: np.zeros((4, 6), np.float32)[:, ::2],
    "None": lambda: None,
    "lists": lambda: [1, 2, 3],
    "2-D int32 arrays": lambda: np.zeros((2, 2), np.int32),
    "negative ints": lambda: -5,
}


def required_params(fn):
    return [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]


@pytest.mark.parametrize("garbage", list(GARBAGE))
def test_every_op_rejects_garbage_with_a_named_error(backend, garbage):
    make = GARBAGE[garbage]
    problems = []
    for op in backend.ops:
        fn = getattr(backend, op)
        try:
            fn(*[make() for _ in required_params(fn)])
            problems.append(f"{op}: accepted {garbage}")
        except (TypeError, ValueError) as e:
            if not str(e).startswith(op):
                problems.append(f"{op}: message does not start with the op name: {e}")
    assert not problems, "\n".join(problems)


# --- one wrong argument at a time --------------------------------------------------------

OTHER_DTYPE = {"f": np.float64, "i": np.int64, "u": np.int32}


def _grow(xp, a, axis):
    """`a` with one more entry along `axis` (a copy of its last entry)."""
    if a.shape[axis] == 0:
        return xp.zeros(a.shape[:axis] + (1,) + a.shape[axis + 1:], a.dtype)
    return xp.concatenate([a, xp.take(a, xp.asarray([-1]), axis=axis)], axis=axis)


def _strided(xp, a):
    """The same values as `a`, as a view that is not C-contiguous (None if `a` cannot be)."""
    axes = [k for k, n in enumerate(a.shape) if n > 1]
    if not axes:
        return None
    k = axes[-1]
    big = xp.repeat(a, 2, axis=k)
    return big[(slice(None),) * k + (slice(None, None, 2),)]


def _bound_before(decl, i):
    names = set()
    for spec in decl.specs[:i]:
        names |= set(([spec.name] if spec.kind == "int" else []) + binding_names(spec))
    return names


def _shape_breakers(xp, decl, i, a):
    """Arrays like `a` with one axis that disagrees with what earlier arguments fixed."""
    spec, bound = decl.specs[i], _bound_before(decl, i)
    lead = a.ndim - len(spec.dims)
    if spec.group and GROUP in bound and lead:
        yield "a leading size that disagrees", _grow(xp, a, 0)
    for k, d in enumerate(spec.dims):
        if d.value is not None or (d.name in bound) or (d.name and d.mult > 1):
            yield f"axis {lead + k} ({d.text}) one too long", _grow(xp, a, lead + k)


def wrong_versions(xp, decl, i, v):
    """(what, bad value, expected error) for argument i of a valid call."""
    spec = decl.specs[i]
    if spec.kind == "array":
        yield "the wrong dtype", v.astype(OTHER_DTYPE.get(v.dtype.kind, np.float64)), TypeError
        if not spec.group:
            yield "one dimension too many", v[None], ValueError
        elif spec.dims:
            yield "too few dimensions", xp.zeros((2,) * (len(spec.dims) - 1), v.dtype), ValueError
        for what, bad in _shape_breakers(xp, decl, i, v):
            yield what, bad, ValueError
        if spec.contiguous and _strided(xp, v) is not None:
            yield "a strided view", _strided(xp, v), ValueError
        yield "a list", v.tolist(), TypeError
        if not spec.optional:
            yield "None", None, TypeError
        if spec.within is not None and v.size:
            lo, hi = spec.within.limits(example_sizes[decl.op])
            for out in ([hi + (not spec.within.hi_open)] if math.isfinite(hi) else []) + \
                       ([lo - (not spec.within.lo_open)] if math.isfinite(lo) else []):
                if np.iinfo(v.dtype).min <= out <= np.iinfo(v.dtype).max if v.dtype.kind in "iu" else True:
                    bad = v.copy()
                    bad.reshape(-1)[0] = out
                    yield f"a value {out} out of range", bad, ValueError
    elif spec.kind == "number":
        for bad in (float("nan"), float("inf")):
            yield f"{bad}", bad, ValueError
        yield "a string", "1", TypeError
        yield "a bool", True, TypeError
        if spec.within is not None:
            lo, hi = spec.within.limits(example_sizes[decl.op])
            if math.isfinite(lo):
                yield "below its range", lo - (not spec.within.lo_open), ValueError
            if math.isfinite(hi):
                yield "above its range", hi + (not spec.within.hi_open), ValueError
    elif spec.kind == "int":
        yield "a float", float(v) + 0.5, TypeError
        yield "a bool", True, TypeError
        lo, hi = spec.within.limits(example_sizes[decl.op])
        # math, not NumPy: an int bound may exceed int64 (a Philox seed is in [0, 2^64))
        if math.isfinite(lo):
            yield "below its range", int(lo) - (not spec.within.lo_open), ValueError
        if math.isfinite(hi):
            yield "above its range", int(hi) + (not spec.within.hi_open), ValueError
    elif spec.kind == "choice":
        yield "an unknown version", "no-such-version", ValueError
    elif spec.kind == "tuple":
        yield "a list", list(v), TypeError
        yield "one item short", v[:-1], TypeError
        for k, (item, x) in enumerate(zip(spec.items.values(), v)):
            if item.kind == "array":
                yield f"item {k} of the wrong dtype", v[:k] + (x.astype(np.float64),) + v[k + 1:], TypeError
            if item.kind == "int":
                yield f"item {k} a float", v[:k] + (x + 0.5,) + v[k + 1:], TypeError


example_sizes = {}


def invoke(fn, decl, args):
    """fn(*args), with the keyword-only arguments (a kernel version) passed by keyword."""
    k = decl.positional
    return fn(*args[:k], **dict(zip(decl.names[k:], args[k:])))


def valid_call(be, decl):
    args, sizes = decl.example(np.random.default_rng(0))
    example_sizes[decl.op] = sizes
    return [be.asarray(a) if isinstance(a, np.ndarray) else a for a in args]


def aliased(decl, args):
    """(names, args) with two arguments that must be distinct passed as the same memory."""
    index = {n: i for i, n in enumerate(decl.names)}
    for k, a in enumerate(decl.distinct):
        for b in decl.distinct[k + 1:]:
            x, y = args[index[a]], args[index[b]]
            if x is None or y is None or x.nbytes < y.nbytes or y.nbytes == 0:
                continue
            same = x.reshape(-1).view(np.uint8)[:y.nbytes].view(y.dtype).reshape(y.shape)
            bad = list(args)
            bad[index[b]] = same
            yield (a, b), bad


DECLARED = sorted(declarations())


@pytest.mark.parametrize("op", DECLARED)
def test_every_op_refuses_each_wrong_argument_naming_it(backend, op):
    decl = declarations()[op]
    fn = getattr(backend, op)
    args = valid_call(backend, decl)
    problems, tried = [], 0
    cases = [(decl.names[i], what, args[:i] + [bad] + args[i + 1:], want)
             for i in range(len(args)) for what, bad, want in wrong_versions(backend.xp, decl, i, args[i])]
    cases += [(pair, "aliased", call, ValueError) for pair, call in aliased(decl, args)]
    for name, what, call, want in cases:
        tried += 1
        try:
            invoke(fn, decl, call)
        except (TypeError, ValueError) as e:
            msg = str(e)
            names = name if isinstance(name, tuple) else (name,)
            if not msg.startswith(f"{op}: ") or not any(f"'{n}'" in msg for n in names):
                problems.append(f"{name} as {what}: the message does not start with '{op}:' or name it: {msg}")
            elif not isinstance(e, want):
                problems.append(f"{name} as {what}: {type(e).__name__} instead of {want.__name__}: {msg}")
        else:
            problems.append(f"{name} as {what}: accepted")
    assert tried, f"{op}: no wrong argument to try"
    assert not problems, f"{op} on {backend.name}:\n" + "\n".join(problems)
