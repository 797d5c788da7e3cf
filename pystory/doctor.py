"""python -m pystory doctor / backends — an honest report of this machine.

Each line is OK or MISSING (or WARN), and every MISSING says what to do.
Only numpy and a C compiler are needed for the course; the GPU is optional.
"""
import os
import platform
import shutil
import subprocess
import sys
import tempfile

from pystory.common import find_c_compiler


def _version(module):
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return getattr(mod, "__version__", "installed")


def _openmp_works(cc):
    """Compile and run a tiny OpenMP program; return (ok, detail)."""
    src = '#include <omp.h>\n#include <stdio.h>\nint main(void){printf("%d", omp_get_max_threads());return 0;}\n'
    with tempfile.TemporaryDirectory() as d:
        c, exe = os.path.join(d, "t.c"), os.path.join(d, "t")
        with open(c, "w") as f:
            f.write(src)
        r = subprocess.run([cc, "-fopenmp", c, "-o", exe], capture_output=True, text=True)
        if r.returncode != 0:
            return False, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "compile failed"
        out = subprocess.run([exe], capture_output=True, text=True).stdout
        return True, f"{out} threads"


def checks():
    """A list of (status, what, detail) rows."""
    rows = []
    ok = sys.version_info >= (3, 10)
    rows.append(("OK" if ok else "MISSING", "Python", platform.python_version()
                 + ("" if ok else " — pystory needs Python 3.10 or newer")))
    for mod, why in (("numpy", "pip install numpy"), ("cffi", "pip install cffi"),
                     ("matplotlib", "pip install matplotlib (figures)")):
        v = _version(mod)
        rows.append(("OK", mod, v) if v else ("MISSING", mod, why))

    cc = find_c_compiler()
    if cc:
        rows.append(("OK", "C compiler", cc))
        omp, detail = _openmp_works(cc)
        rows.append(("OK" if omp else "MISSING", "OpenMP", detail if omp else
                     f"{detail} — on macOS: brew install libomp; the C code also runs without it, single-threaded"))
    else:
        rows.append(("MISSING", "C compiler", "install gcc or clang (apt install build-essential)"))
    try:
        from pystory.c import ext
        from pystory.cbuild import stale_sources
        ext()
        stale = stale_sources()
        if stale:
            rows.append(("WARN", "C extension", "built, but older than " + ", ".join(
                os.path.basename(s) for s in stale) + " — run `make build`"))
        else:
            rows.append(("OK", "C extension", "pystory._cpystory is built"))
    except Exception as e:
        rows.append(("MISSING", "C extension", str(e)))

    from pystory.common import find_cxx_compiler
    cxx = find_cxx_compiler()
    rows.append(("OK", "C++ compiler (emu)", cxx) if cxx else
                ("MISSING", "C++ compiler (emu)", "install g++ to run CUDA kernels on the CPU"))

    nvcc = shutil.which("nvcc")
    if nvcc:
        v = subprocess.run([nvcc, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
        rows.append(("OK", "nvcc", (v[-1] if v else nvcc)))
    else:
        rows.append(("MISSING", "nvcc", "optional: the CUDA toolkit lets the tests compile every kernel with nvcc"))

    v = _version("cupy")
    if not v:
        rows.append(("MISSING", "CuPy", "optional, needs an NVIDIA GPU: pip install -e '.[cuda]'"))
        rows.append(("MISSING", "GPU", "none usable without CuPy; the 'emu' backend runs the kernels on the CPU"))
    else:
        rows.append(("OK", "CuPy", v))
        try:
            import cupy
            n = cupy.cuda.runtime.getDeviceCount()
            props = cupy.cuda.runtime.getDeviceProperties(0)
            name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
            rows.append(("OK", "GPU", f"{n} device(s): {name}"))
        except Exception as e:
            rows.append(("MISSING", "GPU", f"{e} — the 'emu' backend runs the kernels on the CPU"))
    return rows


def main(argv=()):
    rows = checks()
    for status, what, detail in rows:
        print(f"  [{status:<7}] {what:<20} {detail}")
    required = {"Python", "numpy", "cffi", "C compiler", "C extension"}
    bad = [what for status, what, _ in rows if status == "MISSING" and what in required]
    print()
    print("everything the course needs is here." if not bad else "missing: " + ", ".join(bad))
    return 1 if bad else 0


def backends_main(argv=()):
    from pystory.backend import availability
    for name, (ok, reason) in availability().items():
        print(f"  {name:<6} {'available' if ok else 'unavailable':<12} {reason}")
    return 0
