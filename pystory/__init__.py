"""pystory: build an AI story generator from scratch, every layer in NumPy, C and CUDA.

    import pystory
    be = pystory.backend("c")     # or "numpy", "cuda", "emu"
"""
from pystory.backend import BACKENDS, LAYERS, Backend, availability, backend
from pystory.common import BackendUnavailable

__version__ = "0.1.0"
__all__ = ["backend", "availability", "Backend", "BackendUnavailable", "BACKENDS", "LAYERS"]
