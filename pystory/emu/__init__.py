"""The CUDA emulator: run the very same .cu kernels on the CPU.

Called exactly like CuPy, so one call site serves both backends::

    from pystory import emu
    mod = emu.RawModule(path="cuda/axpy.cu")          # or RawModule(code=src)
    axpy = mod.get_function("axpy_kernel")
    axpy((blocks,), (256,), (np.int32(n), np.float32(a), x, y))   # NumPy arrays

The kernel source is checked and wrapped here (pystory/emu/source.py),
compiled once with the host C++ compiler against cuda/emu/cuda_emu.h (the
runtime: fibers, barriers, warps, atomics; read its top comment), cached
on disk, and loaded with ctypes. Kernels run synchronously: the results are
in the NumPy arrays when the call returns.

Unlike CuPy, every launch is checked: argument count, dtypes, contiguity
and writability, the launch limits of a real GPU, and, while the kernel
runs, barrier divergence and deadlocks (raised as EmuError, never a hang).
A kernel that faults (a NULL pointer, a division by zero, a stack
overflow), calls exit(), or runs past PYSTORY_EMU_TIMEOUT raises EmuError
too; Ctrl-C interrupts a launch.

The checked mode, RawModule(..., check=True) or PYSTORY_EMU_CHECK=all, is a
sanitizer: memcheck, racecheck, initcheck and synccheck, each finding an
EmuCheckError naming the check, kernel, block, thread and source line
(cuda/emu/README.md, cuda/emu/emu_check.h, pystory/emu/checked.py).
"""
import contextlib
import ctypes
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import numpy as np

from pystory.atomic import write_text_atomic

from . import checked as _checked
from .checked import CHECKS, empty, empty_like, track_uninitialised
from .lines import symbolize
from .source import EmuCompileError, EmuError, prepare

__all__ = ["RawModule", "RawKernel", "EmuError", "EmuCompileError", "EmuLaunchError", "EmuCheckError",
           "EmuTimeoutError", "schedule", "set_schedule", "get_schedule", "HEADER", "CHECKS", "empty",
           "empty_like", "track_uninitialised"]

EMU_DIR = Path(__file__).resolve().parents[2] / "cuda" / "emu"
HEADER = EMU_DIR / "cuda_emu.h"
_VERSION = "pystory-emu-2"
DEFAULT_TIMEOUT = 300.0  # seconds per launch (PYSTORY_EMU_TIMEOUT)

MAX_THREADS_PER_BLOCK = 1024
MAX_BLOCK = (1024, 1024, 64)
MAX_GRID = (2**31 - 1, 65535, 65535)
MAX_SHARED_BYTES = 48 * 1024


class EmuLaunchError(EmuError, ValueError):
    """A launch configuration a GPU would refuse (too many threads, too much
    shared memory, an empty grid ...)."""


class EmuKernelNotFound(EmuError, KeyError):
    def __str__(self):
        return str(self.args[0])


class EmuCheckError(EmuError):
    """A finding of the checked mode. `check` is "memcheck", "racecheck",
    "initcheck" or "synccheck"; the message names the kernel, the block, the
    thread, the source line and what was touched."""

    def __init__(self, message, check):
        super().__init__(message)
        self.check = check


class EmuTimeoutError(EmuError):
    """A launch ran past PYSTORY_EMU_TIMEOUT seconds (an endless loop?)."""


_timeout_cache = [None, DEFAULT_TIMEOUT]


def _timeout():
    """PYSTORY_EMU_TIMEOUT in seconds (read at every launch; 0 = no limit)."""
    v = os.environ.get("PYSTORY_EMU_TIMEOUT", "")
    if v != _timeout_cache[0]:
        try:
            t = float(v) if v.strip() else DEFAULT_TIMEOUT
        except ValueError:
            raise ValueError(f"PYSTORY_EMU_TIMEOUT must be a number of seconds (0 = no limit), got {v!r}") from None
        _timeout_cache[:] = [v, max(t, 0.0)]
    return _timeout_cache[1]


# ---------------------------------------------------------------------------
# The schedule: in which order a block's threads are resumed between barriers
# ---------------------------------------------------------------------------
_SCHEDULES = {"forward": 0, "reverse": 1, "shuffle": 2}


def _parse_schedule(name, seed=0):
    """'reverse', 'shuffle' or 'shuffle:SEED' -> (name, seed)."""
    name = str(name).strip().lower()
    if ":" in name:
        name, seed = name.split(":", 1)
        seed = int(seed)
    if name not in _SCHEDULES:
        raise ValueError(f"unknown emulator schedule {name!r}; use one of {sorted(_SCHEDULES)}")
    return name, int(seed)


_schedule = _parse_schedule(os.environ.get("PYSTORY_EMU_SCHEDULE", "forward"),
                            int(os.environ.get("PYSTORY_EMU_SEED", "0")))


def set_schedule(name, seed=0):
    """Set the schedule for all later launches: 'forward' (thread 0 first),
    'reverse' (last thread first) or 'shuffle' (a seeded permutation per
    round). A correct kernel gives the same result under all three."""
    global _schedule
    _schedule = _parse_schedule(name, seed)


def get_schedule():
    return _schedule


@contextlib.contextmanager
def schedule(name, seed=0):
    """with emu.schedule("reverse"): kernel(...)  — the schedule inside the block."""
    global _schedule
    old = _schedule
    _schedule = _parse_schedule(name, seed)
    try:
        yield
    finally:
        _schedule = old


# ---------------------------------------------------------------------------
# Compiling, with a cache on disk
# ---------------------------------------------------------------------------
def cache_dir():
    d = os.environ.get("PYSTORY_EMU_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "pystory", "emu")
    os.makedirs(d, exist_ok=True)
    return d


def _compiler():
    """The C++ compiler command: $CXX, else g++, c++ or clang++."""
    env = os.environ.get("CXX")
    candidates = [shlex.split(env)] if env else [["g++"], ["c++"], ["clang++"]]
    for cmd in candidates:
        exe = shutil.which(cmd[0])
        if exe:
            return [exe] + cmd[1:]
    raise EmuCompileError("emu: no C++ compiler found (tried " + (f"$CXX={env!r}" if env else "g++, c++, clang++")
                          + "); install one, e.g. `sudo apt install g++` or `xcode-select --install`, "
                          "or set $CXX")


def _file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


_header_digest_cache = {}


def _runtime_identity(cmd):
    """What besides the source decides the build: the emulator headers and
    the compiler binary (path, size, mtime stand for its version)."""
    headers = []
    for p in sorted(EMU_DIR.glob("*.h")):
        st = p.stat()
        key = (str(p), st.st_size, st.st_mtime_ns)
        if key not in _header_digest_cache:
            _header_digest_cache[key] = _file_digest(p)
        headers.append(_header_digest_cache[key])
    st = os.stat(os.path.realpath(cmd[0]))
    return [_VERSION, headers, cmd, os.path.realpath(cmd[0]), st.st_size, st.st_mtime_ns]


def _options(options, path):
    """CuPy/NVRTC options -> g++ flags: -I and -D pass, the rest is ignored."""
    flags = []
    if path is not None:
        flags.append("-I" + str(Path(path).resolve().parent))  # #include "x.cuh" next to the file
    opts = list(options or ())
    i = 0
    while i < len(opts):
        o = str(opts[i])
        if o in ("-I", "-D", "-U", "--include-path", "--define-macro", "--undefine-macro") and i + 1 < len(opts):
            o, i = o + "=" + str(opts[i + 1]) if o.startswith("--") else o + str(opts[i + 1]), i + 1
        for long, short in (("--include-path=", "-I"), ("--define-macro=", "-D"), ("--undefine-macro=", "-U")):
            if o.startswith(long):
                o = short + o[len(long):]
        if o.startswith("-I"):
            flags.append("-I" + os.path.abspath(o[2:]))
        elif o.startswith(("-D", "-U")):
            flags.append(o)
        i += 1  # --std=..., -use_fast_math, -arch=..., --device-as-default-execution-space: no meaning here
    return flags


_BASE_FLAGS = ["-std=c++17", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-Wno-unknown-pragmas",
               "-Wno-attributes"]
# Line tables (for the lines of faults; -g1 changes no code) and stack probes
# (so a large local array hits the guard gap below a fiber stack).
_FAST_EXTRA = ["-g1", "-fstack-clash-protection"]
# The checked build: the sanitizer instrumentation with our own runtime
# (cuda/emu/emu_check.h); compiled to an object first, then linked without
# the sanitizers' libraries. -Bsymbolic: each library calls its own hooks.
_CHECK_FLAGS = ["-DEMU_CHECKED=1", "-g", "-fsanitize=thread",
                "-fsanitize=bounds,alignment,null,integer-divide-by-zero,shift,vla-bound,return,unreachable"]
_GCC_CHECK_FLAGS = ["--param=tsan-instrument-func-entry-exit=0"]

_probe_cache = {}


def _probe(key, run):
    """A fact about the compiler, remembered in memory and on disk (next to
    the libraries), so a new process does not start the compiler to learn it."""
    if key in _probe_cache:
        return _probe_cache[key]
    path = os.path.join(cache_dir(), "compiler-facts.json")
    try:
        with open(path) as f:
            disk = json.load(f)
    except (OSError, ValueError):
        disk = {}
    if not isinstance(disk, dict):
        disk = {}
    if key not in disk:
        disk[key] = run()
        with contextlib.suppress(OSError):
            write_text_atomic(path, json.dumps(disk))
    _probe_cache[key] = disk[key]
    return disk[key]


def _compiler_key(cmd):
    exe = os.path.realpath(cmd[0])
    st = os.stat(exe)
    return json.dumps([cmd, exe, st.st_size, st.st_mtime_ns])


def _supports(cmd, flags):
    """Does the compiler accept these flags?"""
    def run():
        try:
            r = subprocess.run(cmd + flags + ["-Werror", "-x", "c++", "-fsyntax-only", "-"], input="int x;\n",
                               capture_output=True, text=True, timeout=60)
            return r.returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False
    return _probe(_compiler_key(cmd) + " accepts " + " ".join(flags), run)


def _is_gcc(cmd):
    def run():
        try:
            out = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=60).stdout.lower()
        except (OSError, subprocess.SubprocessError):
            out = ""
        return "clang" not in out and ("gcc" in out or "g++" in out or "free software foundation" in out)
    return _probe(_compiler_key(cmd) + " is gcc", run)


def _fast_flags(cmd):
    return [f for f in _FAST_EXTRA if _supports(cmd, [f])]


def _check_flags(cmd):
    flags = list(_CHECK_FLAGS) + (_GCC_CHECK_FLAGS if _is_gcc(cmd) else []) + \
        [f for f in _FAST_EXTRA[1:] if _supports(cmd, [f])]
    if not _supports(cmd, flags[1:]):
        raise EmuCompileError("emu: the checked mode needs a compiler with -fsanitize=thread and "
                              f"-fsanitize=undefined support ({cmd[0]} refused them); use g++ 8+ or clang++ 11+ "
                              "via $CXX, or run without check=")
    return flags


def _parse_deps(dfile):
    """Paths in a make-style dependency file written by -MMD."""
    with open(dfile) as f:
        text = f.read().replace("\\\n", " ")
    text = text.split(":", 1)[1] if ":" in text else ""
    deps, cur, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] == " ":
            cur += " "
            i += 2
            continue
        if ch.isspace():
            if cur:
                deps.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    if cur:
        deps.append(cur)
    return deps


def _deps_key(key1, deps):
    h = hashlib.sha256(key1.encode())
    for d in deps:
        h.update(d.encode())
        h.update(_file_digest(d).encode() if os.path.exists(d) else b"missing")
    return h.hexdigest()


def _clean_compiler_output(text, tmp_src):
    """g++'s message, without the generated wrappers' noise."""
    lines = [ln for ln in text.splitlines()
             if "<emu-generated>" not in ln and not ln.startswith("In file included from <command-line>")]
    if not any("error" in ln for ln in lines):  # the error *is* in the wrappers: keep everything
        lines = text.splitlines()
    return "\n".join(ln.replace(tmp_src, "<generated source>") for ln in lines)


def _library_ok(lib, meta):
    """Is the cached library whole (the size and checksum its manifest recorded)?"""
    try:
        if os.path.getsize(lib) != meta["size"] or meta["size"] == 0:
            return False
        return _file_digest(lib) == meta["sha256"]
    except (OSError, KeyError, TypeError):
        return False


def build(src, filename, options=(), path=None, checked=False):
    """Compile (or fetch from the cache) the library for a .cu source.
    Returns (library path, kernels, loaded_from_cache). A cached library
    whose size or checksum is not what was written is rebuilt."""
    text, kernels = prepare(src, filename, checked=checked)
    cmd = _compiler()
    flags = _options(options, path)
    mode = _check_flags(cmd) if checked else _fast_flags(cmd)
    key1 = hashlib.sha256(json.dumps([text, flags, mode, _runtime_identity(cmd)]).encode()).hexdigest()
    cdir = cache_dir()
    stem = re.sub(r"\W", "_", Path(filename).stem).strip("_")[:40] or "module"
    stem += "-checked" if checked else ""
    manifest = os.path.join(cdir, key1 + ".deps.json")
    if os.path.exists(manifest):
        try:
            with open(manifest) as f:
                meta = json.load(f)
            lib = os.path.join(cdir, f"{stem}-{_deps_key(key1, meta['deps'])[:32]}.so")
            if _library_ok(lib, meta):
                return lib, kernels, True
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a broken or old manifest: rebuild
    tag = f"{key1[:16]}.{os.getpid()}.{random.getrandbits(32):08x}"
    tmp_src = os.path.join(cdir, f"tmp-{tag}.cpp")
    tmp_obj = os.path.join(cdir, f"tmp-{tag}.o")
    tmp_lib = os.path.join(cdir, f"tmp-{tag}.so")
    tmp_dep = os.path.join(cdir, f"tmp-{tag}.d")
    try:
        with open(tmp_src, "w") as f:
            f.write(text)
        base = cmd + _BASE_FLAGS + mode + ["-include", str(HEADER)] + flags
        deps_flags = ["-MMD", "-MF", tmp_dep]
        if checked:  # compile with the instrumentation, link without its runtime libraries
            steps = [base + ["-c", "-x", "c++", tmp_src, "-o", tmp_obj] + deps_flags,
                     cmd + ["-shared", "-fPIC", tmp_obj, "-o", tmp_lib]
                     + (["-Wl,-Bsymbolic"] if sys.platform.startswith("linux") else [])]
        else:
            steps = [base + ["-x", "c++", tmp_src, "-o", tmp_lib] + deps_flags]
        for omp in (True, False):
            for step in steps:
                r = subprocess.run(step[:1] + (["-fopenmp"] if omp else []) + step[1:], capture_output=True,
                                   text=True)
                if r.returncode != 0:
                    break
            if r.returncode == 0 or not ("fopenmp" in r.stderr or "omp.h" in r.stderr or "-lgomp" in r.stderr):
                break  # without OpenMP (one block at a time) only if OpenMP was the problem
        if r.returncode != 0:
            raise EmuCompileError(f"emu: compiling {filename} failed:\n"
                                  + _clean_compiler_output(r.stderr, tmp_src))
        deps = sorted(d for d in _parse_deps(tmp_dep)
                      if os.path.abspath(d) not in (os.path.abspath(tmp_src), str(HEADER))
                      and not os.path.abspath(d).startswith(str(EMU_DIR) + os.sep))
        lib = os.path.join(cdir, f"{stem}-{_deps_key(key1, deps)[:32]}.so")
        meta = {"deps": deps, "size": os.path.getsize(tmp_lib), "sha256": _file_digest(tmp_lib)}
        os.replace(tmp_lib, lib)  # atomic: another process sees the old file or the whole new one
        write_text_atomic(manifest, json.dumps(meta))
        return lib, kernels, False
    finally:
        for p in (tmp_src, tmp_obj, tmp_lib, tmp_dep):
            with contextlib.suppress(OSError):
                os.remove(p)


# ---------------------------------------------------------------------------
# Kernel parameters: type codes from the compiled library (see param_code
# in cuda_emu.h) -> what Python must pass
# ---------------------------------------------------------------------------
_CODE_DTYPE = {"f32": np.float32, "f64": np.float64, "i8": np.int8, "i16": np.int16, "i32": np.int32,
               "i64": np.int64, "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
               "b8": np.bool_, "c8": np.int8}
_CODE_CTYPE = {"f32": ctypes.c_float, "f64": ctypes.c_double, "i8": ctypes.c_int8, "i16": ctypes.c_int16,
               "i32": ctypes.c_int32, "i64": ctypes.c_int64, "u8": ctypes.c_uint8, "u16": ctypes.c_uint16,
               "u32": ctypes.c_uint32, "u64": ctypes.c_uint64, "b8": ctypes.c_bool, "c8": ctypes.c_char}
_CODE_CNAME = {"f32": "float", "f64": "double", "i8": "signed char", "i16": "short", "i32": "int",
               "i64": "long long", "u8": "unsigned char", "u16": "unsigned short", "u32": "unsigned int",
               "u64": "unsigned long long", "b8": "bool", "c8": "char"}
_VEC_NAME = {"f32": "float", "i32": "int", "u32": "uint", "f64": "double", "u8": "uchar"}


class _Param:
    """One kernel parameter: name and what it accepts."""

    def __init__(self, name, code):
        self.name, self.code = name, code
        self.pointer = code.startswith("*")
        body = code.lstrip("*")
        self.const = self.pointer and body.startswith("c")
        body = body[1:] if self.const else body
        self.align = 1
        if "x" in body:  # float4* and friends: "f32x4@16"
            body, vec = body.split("x", 1)
            n, align = vec.split("@")
            self.vec, self.align = int(n), int(align)
        else:
            self.vec = 1
        self.elem = body  # "f32", "v" (void), "?N" (a struct)
        self.ctype_name = self._ctype_name()

    def _ctype_name(self):
        if self.elem == "v":
            base = "void"
        elif self.elem.startswith("?"):
            base = f"<{self.elem[1:]}-byte type>"
        elif self.vec > 1:
            base = f"{_VEC_NAME.get(self.elem, self.elem)}{self.vec}"
        else:
            base = _CODE_CNAME[self.elem]
        return ("const " if self.const else "") + base + ("*" if self.pointer else "")


class RawKernel:
    """A kernel of a RawModule; call it like cupy.RawKernel."""

    def __init__(self, module, decl):
        lib = module._lib
        self.module, self.name = module, decl.name
        self._launch = getattr(lib, f"__emu_launch_{decl.name}")
        self._launch.restype = ctypes.c_int
        self._launch.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(_LaunchConfig)]
        sig = getattr(lib, f"__emu_signature_{decl.name}")
        sig.restype = ctypes.c_char_p
        codes = [c for c in sig().decode().rstrip(";").split(",") if c]
        names = decl.params if len(decl.params) == len(codes) else [f"arg{i}" for i in range(len(codes))]
        self.params = [_Param(n, c) for n, c in zip(names, codes)]
        f = getattr(lib, f"__emu_static_shared_{decl.name}")
        f.restype = ctypes.c_ulonglong
        self.shared_size_bytes = int(f())          # static __shared__ of the kernel body
        f = getattr(lib, f"__emu_max_threads_{decl.name}")
        f.restype = ctypes.c_uint
        self.launch_bounds = int(f())
        self.max_threads_per_block = min(MAX_THREADS_PER_BLOCK, self.launch_bounds)

    def __repr__(self):
        return f"<emu.RawKernel {self.name}({', '.join(p.ctype_name + ' ' + p.name for p in self.params)})>"

    # -- launch -----------------------------------------------------------
    def __call__(self, grid, block, args, *, shared_mem=0, enable_cooperative_groups=False):
        if enable_cooperative_groups:
            raise EmuLaunchError(f"kernel '{self.name}': cooperative launches are not supported by the emulator")
        grid = self._dims(grid, "grid")
        block = self._dims(block, "block")
        shared_mem = int(shared_mem)
        self._check_config(grid, block, shared_mem)
        argv, keep = self._pack(args)
        checks = self.module.checks
        copies = None
        if checks:  # the kernel runs on red-zoned copies of the arrays
            ptrs = [(i, p) for i, p in enumerate(self.params) if p.pointer]
            copies = _checked.Copies(ptrs, [args[i] for i, _ in ptrs])
            for i, base in copies.pointers.items():
                keep[0][i].value = base
        err = ctypes.create_string_buffer(4096)
        name, seed = _schedule
        pool, slots = _stack_pool(self.module._lib)
        cfg = _LaunchConfig((ctypes.c_uint * 3)(*grid), (ctypes.c_uint * 3)(*block), shared_mem,
                            _SCHEDULES[name], int(os.environ.get("PYSTORY_EMU_THREADS", "0")),
                            seed & (2**64 - 1), ctypes.cast(err, ctypes.c_char_p), len(err),
                            self.module.check_bits, copies.count if copies else 0,
                            ctypes.cast(copies.params, ctypes.c_void_p) if copies else None,
                            _timeout(), pool, slots)
        try:
            try:
                rc = self._launch(argv, ctypes.byref(cfg))
            finally:
                if copies is not None:
                    copies.copy_back()
            del keep, copies
            if _RECORD:
                _record_launch(self.name)
            if rc != 0:
                self._raise(rc, err.value.decode(errors="replace"))
        except KeyboardInterrupt as e:
            # Python's own SIGINT handler may raise as soon as the launch returns:
            # give that KeyboardInterrupt the launch's message.
            msg = err.value.decode(errors="replace")
            if not e.args and "was interrupted (Ctrl-C)" in msg:
                raise KeyboardInterrupt(symbolize(msg, self.module.lib_path, self.module.filename)) from None
            raise

    def _raise(self, rc, msg):
        msg = symbolize(msg, self.module.lib_path, self.module.filename)
        if rc == 2:  # Ctrl-C: Python's own handler runs now (and may raise something else)
            if threading.current_thread() is threading.main_thread():
                try:
                    ctypes.pythonapi.PyErr_CheckSignals()
                except KeyboardInterrupt:
                    raise KeyboardInterrupt(msg) from None
            raise KeyboardInterrupt(msg)
        if rc == 3:
            raise EmuTimeoutError(msg)
        check = msg.split(":", 1)[0]
        if check in CHECKS:
            raise EmuCheckError(msg, check)
        raise EmuError(msg)

    def _dims(self, v, what):
        if isinstance(v, (int, np.integer)):
            v = (v,)
        if not isinstance(v, (tuple, list)) or not 1 <= len(v) <= 3 or \
                not all(isinstance(x, (int, np.integer)) for x in v):
            raise TypeError(f"kernel '{self.name}': {what} must be an int or a tuple of 1 to 3 ints, got {v!r}")
        v = tuple(int(x) for x in v) + (1,) * (3 - len(v))
        if min(v) < 1:
            raise EmuLaunchError(f"kernel '{self.name}': invalid {what} {v}: "
                                 f"every dimension must be at least 1 (an empty {what} launches nothing on a GPU "
                                 f"either: CUDA reports 'invalid configuration argument')")
        return v

    def _check_config(self, grid, block, shared_mem):
        k = f"kernel '{self.name}'"
        for axis, g, lim in zip("xyz", grid, MAX_GRID):
            if g > lim:
                raise EmuLaunchError(f"{k}: grid {grid}: grid.{axis} = {g} exceeds the limit {lim}")
        threads = block[0] * block[1] * block[2]
        if threads > MAX_THREADS_PER_BLOCK:
            raise EmuLaunchError(f"{k}: too many threads per block ({threads} > {MAX_THREADS_PER_BLOCK})")
        for axis, b, lim in zip("xyz", block, MAX_BLOCK):
            if b > lim:
                raise EmuLaunchError(f"{k}: block {block}: block.{axis} = {b} exceeds the limit {lim}")
        if threads > self.launch_bounds:
            raise EmuLaunchError(f"{k}: too many resources requested for launch: the kernel is compiled with "
                                 f"__launch_bounds__({self.launch_bounds}) but the block has {threads} threads")
        if shared_mem < 0:
            raise EmuLaunchError(f"{k}: shared_mem must be >= 0, got {shared_mem}")
        total = shared_mem + self.shared_size_bytes
        if total > MAX_SHARED_BYTES:
            raise EmuLaunchError(f"{k}: too much shared memory: {self.shared_size_bytes} bytes static + "
                                 f"{shared_mem} bytes dynamic = {total} > {MAX_SHARED_BYTES} (48 KiB)")

    def _pack(self, args):
        k = f"kernel '{self.name}'"
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"{k}: args must be a tuple of arguments, got {type(args).__name__}")
        if len(args) != len(self.params):
            want = ", ".join(p.name for p in self.params)
            raise TypeError(f"{k} takes {len(self.params)} argument{'s' * (len(self.params) != 1)} "
                            f"({want}), got {len(args)}")
        values = [self._convert(p, i, a) for i, (p, a) in enumerate(zip(self.params, args))]
        argv = (ctypes.c_void_p * max(1, len(values)))(*[ctypes.addressof(v) for v in values])
        return argv, (values, args)

    def _convert(self, p, i, a):
        where = f"kernel '{self.name}': argument '{p.name}' (parameter {i + 1}, {p.ctype_name})"
        if p.pointer:
            return ctypes.c_void_p(self._array_pointer(p, where, a))
        if p.elem.startswith("?"):
            raise TypeError(f"{where}: the emulator cannot pass this parameter type from Python")
        want = np.dtype(_CODE_DTYPE[p.elem])
        ctype = _CODE_CTYPE[p.elem]
        if isinstance(a, np.ndarray) or not np.isscalar(a):
            raise TypeError(f"{where} must be a scalar numpy.{want.name}, got {type(a).__name__}")
        if isinstance(a, np.generic):
            if a.dtype != want:
                raise TypeError(f"{where} must be numpy.{want.name}, got numpy.{a.dtype.name}")
            return ctype(a.item()) if p.elem != "c8" else ctype(int(a).to_bytes(1, "little", signed=True))
        if isinstance(a, bool):
            if p.elem != "b8":
                raise TypeError(f"{where} must be numpy.{want.name}, got a Python bool")
            return ctype(a)
        if isinstance(a, int) and want.kind in "iu" and p.elem != "c8":
            info = np.iinfo(want)
            if not info.min <= a <= info.max:
                raise ValueError(f"{where}: {a} is out of range for {p.ctype_name}")
            return ctype(a)
        if isinstance(a, float) and p.elem == "f64":
            return ctype(a)  # CuPy passes a Python float as a double too
        hint = (" (CuPy would pass a Python float as a double: wrap it in numpy.float32)"
                if isinstance(a, float) and p.elem == "f32" else "")
        raise TypeError(f"{where} must be numpy.{want.name}, got {type(a).__name__}{hint}")

    def _array_pointer(self, p, where, a):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{where} must be a numpy.ndarray, got {type(a).__name__}")
        if p.elem not in ("v",) and not p.elem.startswith("?"):
            want = np.dtype(_CODE_DTYPE[p.elem])
            ok = a.dtype == want or (p.elem == "c8" and a.dtype in (np.int8, np.uint8))
            if not ok:
                raise TypeError(f"{where} must be an array of dtype {want.name}, got {a.dtype.name}")
        if not a.flags.c_contiguous:
            raise TypeError(f"{where} must be C-contiguous (use numpy.ascontiguousarray), "
                            f"got an array with strides {a.strides}")
        if not p.const and not a.flags.writeable:
            raise ValueError(f"{where}: the array is read-only but the parameter is not const "
                             f"(the kernel may write to it)")
        ptr = a.ctypes.data
        if p.align > 1 and ptr % p.align:
            raise ValueError(f"{where}: the array's data is not {p.align}-byte aligned")
        return ptr


class _LaunchConfig(ctypes.Structure):
    """Mirror of __emu::LaunchConfig in cuda_emu.h."""
    _fields_ = [("grid", ctypes.c_uint * 3), ("block", ctypes.c_uint * 3), ("shared_mem", ctypes.c_ulonglong),
                ("schedule", ctypes.c_int), ("num_threads", ctypes.c_int), ("seed", ctypes.c_ulonglong),
                ("err", ctypes.c_char_p), ("errlen", ctypes.c_int), ("checks", ctypes.c_int),
                ("nparams", ctypes.c_int), ("params", ctypes.c_void_p), ("timeout", ctypes.c_double),
                ("stacks", ctypes.c_void_p), ("stack_slots", ctypes.c_int)]


# ---------------------------------------------------------------------------
# Fiber stacks: one pool per Python thread, shared by every library, so that
# the guard gaps between stacks are mapped once (cuda/emu/emu_guard.h).
# ---------------------------------------------------------------------------
_pools = threading.local()


class _Pool:
    def __init__(self, lib):
        f = getattr(lib, "__emu_default_threads")  # (getattr: no name mangling of __names in a class)
        f.restype = ctypes.c_int
        env = int(os.environ.get("PYSTORY_EMU_THREADS", "0") or 0)
        self.slots = max(1, f(), env)
        new = getattr(lib, "__emu_stack_pool")
        new.restype, new.argtypes = ctypes.c_void_p, [ctypes.c_int]
        self.ptr = new(self.slots)
        free = getattr(lib, "__emu_stack_pool_free")
        free.restype, free.argtypes = None, [ctypes.c_void_p, ctypes.c_int]
        if self.ptr:
            weakref.finalize(self, free, self.ptr, self.slots)


def _stack_pool(lib):
    pool = getattr(_pools, "pool", None)
    if pool is None:
        pool = _pools.pool = _Pool(lib)
    return pool.ptr, pool.slots if pool.ptr else 0


# Kernels launched in this process, for the test that every library kernel
# runs clean in checked mode (PYSTORY_EMU_RECORD=FILE appends their names).
_launched = set()
_RECORD = os.environ.get("PYSTORY_EMU_RECORD")


def _record_launch(name):
    path = _RECORD
    if path and name not in _launched:
        _launched.add(name)
        with open(path, "a") as f:
            f.write(name + "\n")


# ---------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------
_loaded = {}  # library path -> ctypes.CDLL (a library is loaded once per process)


class RawModule:
    """A .cu source compiled for the emulator; mirrors cupy.RawModule.

    RawModule(code=src, options=("-I...",)) or RawModule(path="cuda/x.cu").
    Options follow NVRTC: -I and -D are used, others (--std=..., -use_fast_math)
    are ignored. `from_cache` tells whether the library came from the cache.

    check: the checked mode (a sanitizer; cuda/emu/README.md): True or "all"
    for every check, or a set of "memcheck", "racecheck", "initcheck",
    "synccheck"; None (the default) takes PYSTORY_EMU_CHECK; False for none.
    """

    def __init__(self, code=None, *, path=None, options=(), name_expressions=None, backend=None,
                 translate_cucomplex=False, enable_cooperative_groups=False, jitify=False, log_stream=None,
                 check=None):
        if (code is None) == (path is None):
            raise TypeError("emu.RawModule needs exactly one of code= or path=")
        if name_expressions:
            raise EmuCompileError("emu: name_expressions (templated kernels) are not supported by the emulator; "
                                  "write extern \"C\" kernels")
        self.checks = _checked.env_checks() if check is None else _checked.parse_checks(check, "emu.RawModule")
        self.check_bits = _checked.bits(self.checks)
        if path is not None:
            path = os.fspath(path)
            with open(path) as f:
                code = f.read()
            filename = os.path.abspath(path)
        else:
            filename = "<code>.cu"
        self.code, self.path, self.options, self.filename = code, path, tuple(options or ()), filename
        # backend, translate_cucomplex, jitify, log_stream: CuPy's, meaningless here
        checked = bool(self.checks)
        self.lib_path, decls, self.from_cache = build(code, filename, self.options, path, checked=checked)
        if self.lib_path not in _loaded:
            try:
                _loaded[self.lib_path] = ctypes.CDLL(self.lib_path)
            except OSError:  # a damaged library that still matched its checksum? build it again
                with contextlib.suppress(OSError):
                    os.remove(self.lib_path)
                self.lib_path, decls, self.from_cache = build(code, filename, self.options, path, checked=checked)
                _loaded[self.lib_path] = ctypes.CDLL(self.lib_path)
        self._lib = _loaded[self.lib_path]
        self._decls = {d.name: d for d in decls}
        self._kernels = {}

    @property
    def kernel_names(self):
        return list(self._decls)

    def get_function(self, name):
        if name not in self._decls:
            where = self.path or "the source"
            known = ", ".join(self._decls) or "none"
            raise EmuKernelNotFound(f"emu: no kernel named '{name}' in {where} (its extern \"C\" __global__ "
                                    f"kernels: {known})")
        if name not in self._kernels:
            self._kernels[name] = RawKernel(self, self._decls[name])
        return self._kernels[name]


if "initcheck" in _checked.env_checks():
    _checked._patch(True)  # PYSTORY_EMU_CHECK: what the bindings allocate with empty() is tracked
