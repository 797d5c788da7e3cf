"""What every backend shares and none owns: the error for a backend that cannot run,
moving an array back to NumPy, and finding the C and C++ compilers.

Kept apart so that no backend imports another (pystory/gpu never imports pystory/c)."""
import math
import os
import shutil
import sysconfig

import numpy as np


class BackendUnavailable(RuntimeError):
    """A backend that cannot run on this machine; the message says why and what to do."""


def flat_views(buf, shapes):
    """Named views into one flat buffer: shapes {name: shape} in buffer order, each view a reshaped slice
    (no copy), so the model's parameters, gradients and moments can each be a single array."""
    views, off = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        views[name] = buf[off:off + n].reshape(shape)
        off += n
    return views


def to_numpy(a):
    """A NumPy array of a NumPy or CuPy array (CuPy arrays are copied to the host)."""
    return a.get() if hasattr(a, "get") else np.asarray(a)


def find_c_compiler():
    """The C compiler's path ($CC, else Python's own CC, cc, gcc, clang), or None."""
    for cc in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc.split()[0]):
            return shutil.which(cc.split()[0])
    return None


def find_cxx_compiler():
    """The C++ compiler's path ($CXX, else g++, c++, clang++), or None: the emulator needs one."""
    for cxx in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if cxx and shutil.which(cxx.split()[0]):
            return shutil.which(cxx.split()[0])
    return None
