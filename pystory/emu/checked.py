"""The checked mode's Python half: which checks, arrays in red-zoned copies,
and which bytes of an array nothing has written yet.

A checked launch does not hand the kernel the NumPy arrays themselves.
Each array (or group of arrays that share memory) is copied into a memory
mapping of its own with RED bytes of red zone on both sides, at the same
address modulo 64 (so alignment is what it was). The kernel runs on the copies; the
runtime (cuda/emu/emu_check.h) checks every access against each copy's
extent, so an index past the end lands in a red zone and is reported, and
never touches a neighbouring array. After the launch the copies are copied
back into the writable arrays.

initcheck needs to know which bytes are uninitialised. Arrays made by
`emu.empty` / `emu.empty_like` (and by numpy.empty / numpy.empty_like
while `track_uninitialised()` is on, or for the whole process when
PYSTORY_EMU_CHECK asks for initcheck) are filled with the byte 0xA5 and
get an "init map", one byte per byte. Before a launch, bytes that no longer
hold 0xA5 (Python wrote them) are marked written; the kernel's own writes
mark the map as they happen.
"""
import contextlib
import ctypes
import mmap
import os
import threading
import weakref

import numpy as np

CHECKS = ("memcheck", "racecheck", "initcheck", "synccheck")
BITS = {"memcheck": 1, "racecheck": 2, "initcheck": 4, "synccheck": 8}
RED = 64 * 1024     # red zone on each side of an array's copy
POISON = 0xA5       # what a tracked uninitialised byte holds


def parse_checks(value, where="emu"):
    """check=True / "all" / "memcheck,racecheck" / {"initcheck"} / None / False -> frozenset of names."""
    if value is None or value is False:
        return frozenset()
    if value is True:
        return frozenset(CHECKS)
    if isinstance(value, str):
        items = [v.strip().lower() for v in value.replace("+", ",").split(",") if v.strip()]
    else:
        try:
            items = [str(v).strip().lower() for v in value]
        except TypeError:
            raise TypeError(f"{where}: check must be True, False, 'all' or a set of {CHECKS}, got {value!r}") from None
    if items in (["all"], ["1"], ["true"], ["yes"]):
        return frozenset(CHECKS)
    if items in ([], ["0"], ["false"], ["no"], ["none"], ["off"]):
        return frozenset()
    unknown = [v for v in items if v not in CHECKS]
    if unknown:
        raise ValueError(f"{where}: unknown check {unknown[0]!r}; use 'all' or any of {', '.join(CHECKS)}")
    return frozenset(items)


def env_checks():
    """The checks PYSTORY_EMU_CHECK asks for (empty when unset)."""
    return parse_checks(os.environ.get("PYSTORY_EMU_CHECK"), where="PYSTORY_EMU_CHECK")


def bits(checks):
    return sum(BITS[c] for c in checks)


# ---------------------------------------------------------------------------
# Uninitialised arrays
# ---------------------------------------------------------------------------
_lock = threading.Lock()
_tracked = {}  # id -> (lo, hi, init map, element size)


def _track(a):
    # Elements of one byte are not tracked: 0xA5 is too ordinary a byte value
    # to tell "never written" from "Python wrote 165".
    if not isinstance(a, np.ndarray) or a.nbytes == 0 or a.dtype.hasobject or a.itemsize < 2:
        return a
    a.view(np.uint8).reshape(-1)[...] = POISON
    lo = a.ctypes.data
    key = id(a)
    with _lock:
        _tracked[key] = (lo, lo + a.nbytes, np.zeros(a.nbytes, np.uint8), a.itemsize)
    weakref.finalize(a, _untrack, key)
    return a


def _untrack(key):
    with _lock:
        _tracked.pop(key, None)


_np_empty, _np_empty_like = np.empty, np.empty_like


def empty(shape, dtype=float, order="C", **kw):
    """numpy.empty whose bytes initcheck knows to be uninitialised."""
    return _track(_np_empty(shape, dtype, order, **kw))


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, **kw):
    """numpy.empty_like whose bytes initcheck knows to be uninitialised."""
    return _track(_np_empty_like(prototype, dtype, order, subok, shape, **kw))


_patch_depth = 0


def _patch(on):
    global _patch_depth
    with _lock:
        _patch_depth += 1 if on else -1
        np.empty, np.empty_like = (empty, empty_like) if _patch_depth > 0 else (_np_empty, _np_empty_like)


@contextlib.contextmanager
def track_uninitialised():
    """Inside, numpy.empty and numpy.empty_like make tracked arrays, so that
    initcheck sees what the bindings allocate with empty."""
    _patch(True)
    try:
        yield
    finally:
        _patch(False)


def init_map(lo, hi):
    """The init map slice for bytes [lo, hi) of a tracked array, or None when
    the bytes are not tracked. An element that no longer holds the poison
    in every byte was written by Python since: it counts as initialised."""
    with _lock:
        for tlo, thi, m, item in _tracked.values():
            if tlo <= lo and hi <= thi:
                break
        else:
            return None
    data = np.ctypeslib.as_array((ctypes.c_uint8 * (thi - tlo)).from_address(tlo)).reshape(-1, item)
    written = (data != POISON).any(axis=1)
    m.reshape(-1, item)[written] = 1
    return m[lo - tlo:hi - tlo]


# ---------------------------------------------------------------------------
# Red-zoned copies of a launch's arrays
# ---------------------------------------------------------------------------
class CheckedParam(ctypes.Structure):
    """Mirror of __emu::CheckedParam in cuda/emu/cuda_emu.h."""
    _fields_ = [("base", ctypes.c_ulonglong), ("size", ctypes.c_ulonglong), ("init", ctypes.c_void_p),
                ("name", ctypes.c_char_p), ("type", ctypes.c_char_p), ("elem", ctypes.c_int),
                ("index", ctypes.c_int)]


class Copies:
    """The arrays of one checked launch, in red-zoned copies."""

    def __init__(self, params, arrays):
        # params: [(index, _Param)], arrays: the matching NumPy arrays
        spans = []
        for (i, p), a in zip(params, arrays):
            lo = a.ctypes.data
            spans.append([lo, lo + a.nbytes, [(i, p, a)]])
        # arrays that share memory share one copy, so the kernel sees them alias
        spans.sort(key=lambda s: s[0])
        groups = []
        for s in spans:
            if groups and s[0] < groups[-1][1] and s[1] > groups[-1][0] and s[1] > s[0]:
                g = groups[-1]
                g[1] = max(g[1], s[1])
                g[2] += s[2]
            else:
                groups.append(s)
        self.groups, self.keep = [], []
        entries = []
        for lo, hi, members in groups:
            n = hi - lo
            # A mapping of its own: the red zones are ours, nothing else lies
            # within RED bytes of the data.
            buf = mmap.mmap(-1, n + 2 * RED + 64)
            addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
            start = RED + (lo - addr - RED) % 64
            base = addr + start
            if n:
                ctypes.memmove(base, lo, n)
            writable = any(not p.const and a.flags.writeable for _, p, a in members)
            self.groups.append((lo, n, buf, base, writable))
            for i, p, a in members:
                a_lo = a.ctypes.data
                init = init_map(a_lo, a_lo + a.nbytes)
                if init is not None:
                    self.keep.append(init)
                elem = {"v": 1}.get(p.elem, a.itemsize * p.vec if p.vec > 1 else a.itemsize)
                name, typ = p.name.encode(), p.ctype_name.rstrip("*").replace("const ", "").encode()
                self.keep += [name, typ]
                entries.append(CheckedParam(base + (a_lo - lo), a.nbytes,
                                            init.ctypes.data if init is not None else None, name, typ,
                                            max(1, elem), i))
        self.params = (CheckedParam * max(1, len(entries)))(*entries)
        self.count = len(entries)
        self.pointers = {e.index: e.base for e in entries}

    def copy_back(self):
        for lo, n, buf, base, writable in self.groups:
            if writable and n:
                ctypes.memmove(lo, base, n)
