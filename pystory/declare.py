"""Declaring an op: what its arguments must be, written once, beside its NumPy reference.

    from pystory.declare import array, declare, float32, number

    @declare(x=array(float32, "(..., C)"), w=array(float32, "(C,)"), b=array(float32, "(C,)"),
             eps=number("(0, inf)"),
             returns="out (..., C), mean (...), rstd (...)")
    def layernorm_forward(x, w, b, eps=1e-5):
        ...

`declare` only records the declaration (as `layernorm_forward.declaration`)
and returns the function unchanged: called directly, the reference stays
dtype-generic and unchecked. `pystory.backend(name)` wraps every backend's op
(numpy included) with the checker of pystory/check.py, which enforces the
declaration before any NumPy, C or CUDA code runs.

The vocabulary:

    array(dtype, "(B, T, 3C)")     an array of that dtype and shape, C-contiguous
    array(int32, "(B, T) in [0, V)")   ... whose values lie in [0, V)
    array(..., optional=True)      ... or None
    number()  number("(0, inf)")   a finite float (int or float accepted), in the interval
    integer() integer("[1, 2^31)") an int (not a bool); default range [-2^31, 2^31)
    choice("naive", "tiled", default="tiled")   one of these strings (kernel versions)
    tuple_of(qkv=..., n_head=..., att=...)      a tuple, checked item by item (caches)

Shapes: names bind left to right in argument order (the first array that
mentions C fixes it, later ones must agree); integer literals; multiples and
offsets (3C, W+1); "..." for any number of leading dimensions (bound as one
group that later "..." must match); "*" for any size. An int argument is a
name too: `vocab=integer(...)` lets a shape or a range say `vocab`.

The declaration itself:

    writes=("params", "m", "v")      arguments the op modifies in place (refused if read-only)
    distinct=("w_in", "w_out")       arguments that must not share memory
    checks=(heads_divide_channels,)  named functions for rules that are not shapes; each takes
                                     argument and size names (and `xp`) as parameters and
                                     returns None, or what is wrong ("argument 'n_head' must ...")
    returns="out (B, T, C), ids int32 (K,), loss float"   what comes back (float32 unless said)
    example=dict(C=8, n_head=2)      sizes for the generated example call (tests), or a
                                     function of sizes (and `rng`) returning argument values
"""
import inspect
import math
import re

import numpy as np

float32, float64 = np.float32, np.float64
int8, int32, int64, uint8, uint16, uint32, uint64 = np.int8, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64

INT32_MAX = 2**31 - 1
GROUP = "..."          # the name under which a leading "..." group is bound

__all__ = ["declare", "array", "number", "integer", "choice", "tuple_of", "Declaration",
           "float32", "float64", "int8", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "INT32_MAX"]


# --- sizes and bounds: "3C", "W+1", "V", "2^31", "inf" ---------------------------

_DIM = re.compile(r"^(\d*)\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?$")


class Dim:
    """One entry of a shape: a literal, a name times a factor plus an offset, or any size."""

    def __init__(self, text):
        self.text = text
        self.name, self.mult, self.add, self.value = None, 1, 0, None
        if text == "*":
            return
        if re.fullmatch(r"\d+", text):
            self.value = int(text)
            return
        m = _DIM.match(text)
        if not m:
            raise ValueError(f"declare: cannot read the size {text!r} (use 4, C, 3C, W+1 or *)")
        self.mult = int(m.group(1) or 1)
        self.name = m.group(2)
        self.add = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)

    def __str__(self):
        return self.text


def _number(text):
    text = text.strip()
    if text in ("inf", "+inf"):
        return math.inf
    if text == "-inf":
        return -math.inf
    m = re.fullmatch(r"(-?)(\d+)\^(\d+)", text)           # 2^31, -2^31
    if m:
        return (-1 if m.group(1) else 1) * int(m.group(2)) ** int(m.group(3))
    try:
        return int(text)
    except ValueError:
        return float(text)


class Bound:
    """One end of an interval: a number, or a size name plus an offset (V, 256+M)."""

    def __init__(self, text):
        self.text = text.strip()
        m = re.fullmatch(r"(?:(-?\d+)\s*\+\s*)?([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?", self.text)
        if m and self.text not in ("inf",):
            self.name = m.group(2)
            self.add = int(m.group(1) or 0) + int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)
            self.value = None
        else:
            self.name, self.add, self.value = None, 0, _number(self.text)

    def of(self, sizes):
        return self.value if self.name is None else sizes[self.name] + self.add


class Interval:
    """[lo, hi), (lo, hi], ...: which values a number, an int or an array's elements may take."""

    def __init__(self, text):
        m = re.fullmatch(r"\s*([\[(])\s*([^,]+?)\s*,\s*([^,]+?)\s*([\])])\s*", text)
        if not m:
            raise ValueError(f"declare: cannot read the interval {text!r} (write it like [0, V) or (0, inf))")
        self.text = f"{m.group(1)}{m.group(2)}, {m.group(3)}{m.group(4)}"
        self.lo, self.hi = Bound(m.group(2)), Bound(m.group(3))
        self.lo_open, self.hi_open = m.group(1) == "(", m.group(4) == ")"
        self.names = [b.name for b in (self.lo, self.hi) if b.name]

    def limits(self, sizes):
        return self.lo.of(sizes), self.hi.of(sizes)

    def contains(self, v, lo, hi):
        return (v > lo if self.lo_open else v >= lo) and (v < hi if self.hi_open else v <= hi)

    def shown(self, sizes):
        """"[0, V) = [0, 64)" when a bound is a name, else "[0, 1)"."""
        if not self.names:
            return self.text
        lo, hi = (b.text if b.name is None else b.of(sizes) for b in (self.lo, self.hi))
        return f"{self.text} = {'[('[self.lo_open]}{lo}, {hi}{'])'[self.hi_open]}"


# --- argument specs ----------------------------------------------------------------

class Spec:
    """What one argument must be. `declare` gives each argument its own copy,
    labelled with the op and the argument's name, for the error messages."""

    kind = "?"
    optional = False
    fixed_by = {}        # {size name: the earlier argument that fixed it}, for the messages

    def labelled(self, op, name, label=None):
        spec = self.__class__.__new__(self.__class__)
        spec.__dict__.update(self.__dict__)
        spec.op, spec.name = op, name
        spec.label = label or f"argument '{name}'"
        return spec

    def names(self):
        """Size names this spec mentions, in order."""
        return []


class ArraySpec(Spec):
    kind = "array"

    def __init__(self, dtype, shape, optional=False, contiguous=True):
        dtypes = dtype if isinstance(dtype, (tuple, list)) else (dtype,)
        self.dtypes = tuple(np.dtype(d) for d in dtypes)
        self.dtype = self.dtypes[0] if len(self.dtypes) == 1 else None
        self.optional, self.contiguous = optional, contiguous
        self.writes = False
        m = re.fullmatch(r"\s*\(([^()]*)\)\s*(?:in\s+(.+))?", shape)
        if not m:
            raise ValueError(f"declare: cannot read the shape {shape!r} (write it like \"(B, T, 3C)\")")
        parts = [p.strip() for p in m.group(1).split(",")]
        if parts and parts[-1] == "":
            parts.pop()                               # "(C,)"
        self.group = bool(parts) and parts[0] == GROUP
        if GROUP in parts[1:]:
            raise ValueError(f"declare: '...' may only lead a shape, got {shape!r}")
        self.dims = [Dim(p) for p in parts[self.group:]]
        # for the checker's fast path: each dim a name (str), a literal (int) or any size (None)
        self.simple = all(d.mult == 1 and d.add == 0 for d in self.dims)
        self.simple_dims = tuple(d.name if d.name else d.value for d in self.dims)
        self.shape_text = "(" + ", ".join(parts) + ("," if len(parts) == 1 and not self.group else "") + ")"
        self.within = Interval(m.group(2)) if m.group(2) else None

    def names(self):
        out = [GROUP] if self.group else []
        out += [d.name for d in self.dims if d.name]
        return out + (self.within.names if self.within else [])

    def __str__(self):
        dt = "|".join(d.name for d in self.dtypes)
        s = f"{dt} {self.shape_text}"
        if self.within:
            s += f" in {self.within.text}"
        if self.optional:
            s += " or None"
        if not self.contiguous:
            s += " (strided views allowed)"
        return s


class NumberSpec(Spec):
    kind = "number"

    def __init__(self, interval=None):
        self.within = Interval(interval) if interval else None

    def names(self):
        return self.within.names if self.within else []

    def __str__(self):
        return "number" + (f" in {self.within.text}" if self.within else " (finite)")


class IntSpec(Spec):
    kind = "int"

    def __init__(self, interval=None):
        self.within = Interval(interval or "[-2^31, 2^31)")

    def names(self):
        return self.within.names

    def __str__(self):
        return f"int in {self.within.text}"


class ChoiceSpec(Spec):
    kind = "choice"

    def __init__(self, options, default):
        self.options = tuple(options)
        if default not in self.options:
            raise ValueError(f"declare: choice default {default!r} is not one of {self.options}")
        self.default = default

    def __str__(self):
        return "one of " + ", ".join(repr(o) for o in self.options)


class TupleSpec(Spec):
    kind = "tuple"

    def __init__(self, items, name="cache"):
        self.items = dict(items)
        self.item_names = tuple(self.items)
        self.tuple_name = name

    def labelled(self, op, name, label=None):
        spec = super().labelled(op, name, label)
        spec.items = {k: s.labelled(op, k, f"argument '{name}' item {i} ('{k}')")
                      for i, (k, s) in enumerate(self.items.items())}
        return spec

    def names(self):
        out = []
        for k, s in self.items.items():
            if s.kind == "int":
                out.append(k)                   # an int item is a size name, like an int argument
            out += s.names()
        return out

    def __str__(self):
        return "tuple (" + ", ".join(self.item_names) + ")"


def array(dtype, shape, *, optional=False, contiguous=True):
    """An array argument: `array(float32, "(B, T, C)")`, `array(int32, "(N,) in [0, V)")`."""
    return ArraySpec(dtype, shape, optional=optional, contiguous=contiguous)


def number(interval=None):
    """A finite float (a Python or NumPy int or float; not a bool), in `interval` if given."""
    return NumberSpec(interval)


def integer(interval=None):
    """A Python or NumPy int (not a bool, not a float), in `interval` (default [-2^31, 2^31))."""
    return IntSpec(interval)


def choice(*options, default):
    """One of the given strings, e.g. the kernel `version=` of an op."""
    return ChoiceSpec(options, default)


def tuple_of(name="cache", **items):
    """A tuple whose items are checked one by one, e.g. attention's cache (qkv, n_head, att)."""
    return TupleSpec(items, name)


# --- what comes back -------------------------------------------------------------------

class Returned:
    """One returned value: an array (dtype, shape), a Python float or int, or a tuple spec."""

    def __init__(self, text_or_spec):
        if isinstance(text_or_spec, TupleSpec):
            self.name, self.kind, self.spec = text_or_spec.tuple_name, "tuple", text_or_spec
            return
        text = text_or_spec.strip()
        m = re.fullmatch(r"([A-Za-z_]\w*)\s*(?:([a-z]+\d*))?\s*(\(.*\))?", text)
        if not m:
            raise ValueError(f"declare: cannot read the returned value {text!r} (write it like \"out (B, C)\")")
        self.name = m.group(1)
        word, shape = m.group(2), m.group(3)
        if shape is None:
            if word not in ("float", "int"):
                raise ValueError(f"declare: returned {self.name!r} needs a shape, or the word float or int")
            self.kind, self.spec = word, None
        else:
            self.kind, self.spec = "array", ArraySpec(word or "float32", shape)

    def __str__(self):
        return f"{self.name} {self.spec if self.spec is not None else self.kind}"


def _split_top(text):
    """Split "a (B, C), b (C,)" at the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur] if cur.strip() else out


def _returns(returns):
    if returns is None:
        return ()
    items = [returns] if isinstance(returns, (str, TupleSpec)) else list(returns)
    out = []
    for item in items:
        out += [Returned(t) for t in _split_top(item)] if isinstance(item, str) else [Returned(item)]
    return tuple(out)


# --- the declaration ---------------------------------------------------------------------

def _param_names(fn):
    return [p for p in inspect.signature(fn).parameters]


class Declaration:
    """Everything the checker and the tests need to know about one op, worked out once."""

    def __init__(self, fn, specs, writes, distinct, checks, returns, example):
        self.op = fn.__name__
        self.module = fn.__module__
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        missing = [p.name for p in params if p.name not in specs]
        if missing:
            raise ValueError(f"declare {self.op}: no declaration for argument(s) {missing}")
        extra = [k for k in specs if k not in sig.parameters]
        if any(specs[k].kind != "choice" for k in extra):
            raise ValueError(f"declare {self.op}: {extra} are not arguments of {self.op}")
        # a declared choice the reference does not take (a kernel version) becomes a keyword
        for k in extra:
            params.append(inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=specs[k].default))
        self.signature = sig.replace(parameters=params)
        self.names = tuple(p.name for p in params)
        self.defaults = tuple(p.default for p in params)
        self.positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        self.writes, self.distinct = tuple(writes), tuple(distinct)
        for k in self.writes + self.distinct:
            if k not in specs or specs[k].kind != "array":
                raise ValueError(f"declare {self.op}: {k!r} in writes/distinct is not an array argument")
        self.specs = []
        for name in self.names:
            spec = specs[name].labelled(self.op, name)
            if spec.kind == "array":
                spec.writes = name in self.writes
            self.specs.append(spec)
        self.specs = tuple(self.specs)
        self._order_names()
        self.checks = tuple((fn_, tuple(_param_names(fn_))) for fn_ in checks)
        known = set(self.names) | set(self.size_names) | {"xp"}
        for fn_, wants in self.checks:
            unknown = [w for w in wants if w not in known]
            if unknown:
                raise ValueError(f"declare {self.op}: check {fn_.__name__} asks for unknown {unknown}")
        self.returns = _returns(returns)
        self.example_spec = example if isinstance(example, (list, tuple)) else ((example,) if example else ())

    def _order_names(self):
        """Which names each argument binds, in argument order; scalar ranges may only
        use names bound before them, array value ranges any name of the arguments."""
        bound, self.size_names, first = set(), [], {}
        for spec in self.specs:
            if spec.kind in ("int", "number") and spec.within:
                late = [n for n in spec.within.names if n not in bound]
                if late:
                    raise ValueError(f"declare {self.op}: the range of '{spec.name}' uses {late}, "
                                     "which no earlier argument binds")
            # for the messages: which earlier argument fixed each name of this one's shape
            for s in (spec.items.values() if spec.kind == "tuple" else (spec,)):
                s.fixed_by = {n: first[n] for n in s.names() if first.get(n, spec.name) != spec.name}
            for n in ([spec.name] if spec.kind == "int" else []) + binding_names(spec):
                self._add(bound, n)
                first.setdefault(n, spec.name)
        self.ranged = tuple(i for i, s in enumerate(self.specs) if s.kind == "array" and s.within)
        for i in self.ranged:
            late = [n for n in self.specs[i].within.names if n not in bound]
            if late:
                raise ValueError(f"declare {self.op}: the range of '{self.specs[i].name}' uses unbound {late}")

    # -- a valid example call, generated from the declaration (the tests perturb it) --

    def example(self, rng, **fixed):
        """(args, sizes): a valid call with small sizes. Each size name gets the next of
        2, 3, 4, ... in order of first appearance unless `example=` (or `fixed`) says;
        an int argument takes such a value inside its range; ids are drawn in range."""
        for ex in self.example_spec:
            if isinstance(ex, dict):
                fixed = {**ex, **fixed}
        sizes, fresh = {}, iter(range(2, 1000))
        for spec in self.specs:
            for name in ([spec.name] if spec.kind == "int" else []) + binding_names(spec):
                if name not in sizes:
                    sizes[name] = fixed.get(name, (2,) if name == GROUP else next(fresh))
            if spec.kind == "int" and spec.name not in fixed:
                sizes[spec.name] = _clamp(spec.within, sizes[spec.name], sizes)
            for k, s in (spec.items.items() if spec.kind == "tuple" else ()):
                if s.kind == "int" and k not in fixed:
                    sizes[k] = _clamp(s.within, sizes[k], sizes)
        args = {spec.name: _example_value(spec, sizes, rng) for spec in self.specs}
        for ex in self.example_spec:
            if callable(ex):
                wants = _param_names(ex)
                args.update(ex(**{w: rng if w == "rng" else sizes[w] for w in wants}))
        return [args[n] for n in self.names], sizes

    def _add(self, bound, n):
        if n not in bound:
            bound.add(n)
            self.size_names.append(n)

    def __repr__(self):
        width = max([len(n) for n in self.names] + [4])
        lines = [f"{self.op}{self.signature}"]
        for spec in self.specs:
            lines.append(f"  {spec.name:<{width}}  {spec}" + ("   (written in place)" if spec.name in self.writes else ""))
        if self.distinct:
            lines.append(f"  distinct buffers: {', '.join(self.distinct)}")
        for fn_, _ in self.checks:
            lines.append(f"  check: {fn_.__name__}")
        lines.append("  -> " + (", ".join(str(r) for r in self.returns) if self.returns else "None"))
        return "\n".join(lines)


def binding_names(spec):
    """The size names an argument binds when it is checked (an array's dims, a tuple's items)."""
    if spec.kind == "array":
        return ([GROUP] if spec.group else []) + [d.name for d in spec.dims if d.name]
    if spec.kind == "tuple":
        out = []
        for k, s in spec.items.items():
            out += [k] if s.kind == "int" else binding_names(s)
        return out
    return []


def _clamp(within, v, sizes):
    lo, hi = within.limits(sizes)
    lo = lo + within.lo_open if lo != -math.inf else v
    hi = hi - within.hi_open if hi != math.inf else v
    return int(min(max(v, lo), hi))


def _example_value(spec, sizes, rng):
    if spec.kind == "int":
        return sizes[spec.name]
    if spec.kind == "choice":
        return spec.default
    if spec.kind == "number":
        if spec.within is None:
            return 0.5
        lo, hi = spec.within.limits(sizes)
        return float((lo + hi) / 2 if math.isfinite(lo) and math.isfinite(hi) else
                     lo + 0.5 if math.isfinite(lo) else hi - 0.5 if math.isfinite(hi) else 0.5)
    if spec.kind == "tuple":
        return tuple(_example_value(s, sizes, rng) for s in spec.items.values())
    shape = tuple(sizes[GROUP]) if spec.group else ()
    shape += tuple(2 if d.text == "*" else d.value if d.value is not None else d.mult * sizes[d.name] + d.add
                   for d in spec.dims)
    dtype = spec.dtypes[0]
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    lo, hi = spec.within.limits(sizes) if spec.within else (0, 10)
    lo, hi = lo + spec.within.lo_open if spec.within else lo, hi + (not spec.within.hi_open if spec.within else 0)
    return rng.integers(lo, max(hi, lo + 1), size=shape).astype(dtype)


def declare(*, writes=(), distinct=(), checks=(), returns=None, example=None, **args):
    """Record what the op's arguments must be; return the function unchanged (see the module doc)."""
    def record(fn):
        fn.declaration = Declaration(fn, args, writes, distinct, checks, returns, example)
        return fn
    return record
