"""A float64 stand-in for a backend, for gradient checks of whole models (chapter 05).

pystory.backend("numpy") checks every op's declaration, which says float32.
The NumPy references themselves are dtype-generic, so a namespace of the
unchecked references runs a model in float64, where finite differences are
precise enough to check its backward pass end to end."""
import inspect
import types

import numpy as np

from pystory.backend import LAYERS, reference_modules


def float64_backend():
    ops = {}
    for layer in LAYERS:
        for mod in reference_modules(layer):
            for op in mod.__all__:
                ops[op] = inspect.unwrap(getattr(mod, op))
    return types.SimpleNamespace(name="numpy-float64", xp=np, asarray=np.ascontiguousarray,
                                 to_numpy=np.asarray, **ops)
