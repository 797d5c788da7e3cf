"""pystory.backend(name): one namespace of ops, whichever language runs them.

    be = pystory.backend("c")          # "numpy" | "c" | "cuda" | "emu"
    x = be.asarray(np.ones(10, np.float32))
    y = be.axpy(2.0, x, x)             # same name, same arguments everywhere
    be.to_numpy(y)

Every layer appears in three places with the same op names:
    pystory/<layer>.py       the NumPy reference (the "numpy" backend)
    pystory/c/<layer>.py     bindings to csrc/<layer>.c (the "c" backend)
    pystory/gpu/<layer>.py   launches of cuda/<layer>.cu (the "cuda" and "emu" backends)
Each of those modules lists its ops in __all__. A new layer is added to
LAYERS below.
"""
import functools
import importlib

import numpy as np

from pystory.c import BackendUnavailable

BACKENDS = ("numpy", "c", "cuda", "emu")

# One entry per layer, in chapter order.
LAYERS = ["basics", "tokenizer", "philox", "embedding", "word2vec", "attention", "kvcache",
          "linear", "layernorm", "gelu", "residual", "crossentropy", "optim"]


class Backend:
    """The ops of one backend as attributes, plus how to move arrays to and from it."""

    def __init__(self, name, xp, ops):
        self.name = name
        self.xp = xp
        self.ops = sorted(ops)
        for op, fn in ops.items():
            setattr(self, op, fn)

    def asarray(self, a):
        """A contiguous copy of `a` where this backend's ops can read it."""
        return self.xp.ascontiguousarray(self.xp.asarray(a))

    def to_numpy(self, a):
        return a.get() if hasattr(a, "get") else np.asarray(a)

    def __repr__(self):
        return f"<pystory backend {self.name!r}: {len(self.ops)} ops>"


def _layer_ops(package, device=None):
    ops = {}
    for layer in LAYERS:
        mod = importlib.import_module(f"{package}.{layer}")
        for op in mod.__all__:
            fn = getattr(mod, op)
            # GPU launch functions take the device first; bind it here.
            ops[op] = functools.partial(fn, device) if device is not None else fn
    return ops


@functools.lru_cache(maxsize=None)
def backend(name):
    """The namespace of ops for `name`; BackendUnavailable says why one cannot run here."""
    if name == "numpy":
        return Backend("numpy", np, _layer_ops("pystory"))
    if name == "c":
        from pystory.c import ext
        ext()  # raises BackendUnavailable with the fix if the extension is not built
        return Backend("c", np, _layer_ops("pystory.c"))
    if name in ("cuda", "emu"):
        from pystory.gpu import cuda_device, emu_device
        dev = cuda_device() if name == "cuda" else emu_device()
        return Backend(name, dev.xp, _layer_ops("pystory.gpu", dev))
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
