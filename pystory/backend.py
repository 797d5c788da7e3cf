"""pystory.backend(name): one namespace of ops, whichever language runs them.

    be = pystory.backend("c")          # "numpy" | "c" | "cuda" | "emu"
    x = be.asarray(np.ones(10, np.float32))
    y = be.axpy(2.0, x, x)             # same name, same arguments everywhere
    be.to_numpy(y)

Every layer appears in three places with the same op names:
    pystory/<layer>.py       the NumPy reference, with each op's declaration (the "numpy" backend)
    pystory/c/<layer>.py     bindings to csrc/<layer>.c (the "c" backend)
    pystory/gpu/<layer>.py   launches of cuda/<layer>.cu (the "cuda" and "emu" backends)
The reference module lists its ops in __all__ (the one list: the bindings
define functions of the same names). Every op of every backend is wrapped
with the checker of its declaration (pystory/check.py), so all four check
the same things with the same messages. A new layer is added to LAYERS below.
"""
import functools
import importlib

import numpy as np

from pystory.check import Context, wrap
from pystory.common import BackendUnavailable, to_numpy

BACKENDS = ("numpy", "c", "cuda", "emu")

# One entry per layer, in chapter order.
LAYERS = ["basics", "tokenizer", "philox", "embedding", "word2vec", "attention", "kvcache",
          "linear", "layernorm", "gelu", "residual", "crossentropy", "optim", "gru", "latent",
          "int8", "gumbel", "conv1d", "bce", "collective"]

# A layer whose NumPy reference is split over several short modules (default: pystory/<layer>.py).
REFERENCES = {"tokenizer": ("pretokenize", "bpe"), "word2vec": ("sgns",)}


class Backend:
    """The ops of one backend as attributes, plus how to move arrays to and from it."""

    def __init__(self, name, xp, ops, device=None):
        self.name = name
        self.xp = xp
        self.device = device      # the pystory.gpu.Device of cuda and emu (None for numpy and c)
        self.ops = sorted(ops)
        for op, fn in ops.items():
            setattr(self, op, fn)

    def asarray(self, a):
        """A contiguous copy of `a` where this backend's ops can read it."""
        return self.xp.ascontiguousarray(self.xp.asarray(a))

    to_numpy = staticmethod(to_numpy)

    def __repr__(self):
        return f"<pystory backend {self.name!r}: {len(self.ops)} ops>"


def reference_modules(layer):
    return [importlib.import_module(f"pystory.{m}") for m in REFERENCES.get(layer, (layer,))]


@functools.lru_cache(maxsize=None)
def declarations():
    """{op: Declaration} for every op of every layer, read from the NumPy references."""
    decls = {}
    for layer in LAYERS:
        for mod in reference_modules(layer):
            for op in mod.__all__:
                decl = getattr(getattr(mod, op), "declaration", None)
                if decl is None:
                    raise TypeError(f"{mod.__name__}.{op} has no declaration: put @declare(...) above it "
                                    "(see pystory/declare.py)")
                decls[op] = decl
    return decls


def _ops(name, xp, package=None, device=None):
    """Every declared op, as backend `name` runs it, wrapped with the checker of its declaration.
    The functions are the references (numpy) or those of the same names in <package>.<layer>."""
    ctx, decls, ops = Context(name, xp), declarations(), {}
    for layer in LAYERS:
        mod = None if package is None else importlib.import_module(f"{package}.{layer}")
        for ref in reference_modules(layer):
            for op in ref.__all__:
                fn = getattr(ref if mod is None else mod, op, None)
                if fn is None:
                    raise TypeError(f"{mod.__name__} has no function {op} (every op of pystory/{layer}.py "
                                    f"needs one in every backend)")
                ops[op] = wrap(decls[op], fn, ctx, device)
    return ops


@functools.lru_cache(maxsize=None)
def backend(name):
    """The namespace of ops for `name`; BackendUnavailable says why one cannot run here."""
    if name == "numpy":
        return Backend("numpy", np, _ops("numpy", np))
    if name == "c":
        from pystory.c import ext
        ext()  # raises BackendUnavailable with the fix if the extension is not built
        return Backend("c", np, _ops("c", np, "pystory.c"))
    if name in ("cuda", "emu"):
        from pystory.gpu import cuda_device, emu_device
        dev = cuda_device() if name == "cuda" else emu_device()
        return Backend(name, dev.xp, _ops(name, dev.xp, "pystory.gpu", dev), dev)
    raise ValueError(f"backend: unknown backend {name!r}; choose one of {BACKENDS}")


def availability():
    """{name: (available, reason)} for every backend, without raising."""
    report = {}
    for name in BACKENDS:
        try:
            be = backend(name)
            report[name] = (True, f"{len(be.ops)} ops")
        except BackendUnavailable as e:
            report[name] = (False, str(e))
        except Exception as e:  # a broken install should be reported, not crash the report
            report[name] = (False, f"{name} backend failed to load: {type(e).__name__}: {e}")
    return report
