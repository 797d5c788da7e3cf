"""Small helpers every chapter's bench.py uses: the timing method, the machine, tables, plots.

The method (issue 15), the same in every benchmark:

    times = interleaved({"numpy": f, "c": g, "torch": h}, repeat=5)
    times["c"].median, times["c"].spread, times["c"].noisy

- **Interleaved**: one repeat runs every implementation once, A B C A B C ...,
  so a burst of load from another program hits all of them alike instead of
  making one look slow. Ratios are only ever taken inside one such run.
- **Warm-up, then at least 5 repeats**: the first call pays for page faults,
  cold caches and thread start-up, and is thrown away.
- **Median and spread**: the median of the repeats is the figure we report;
  the spread, (slowest - fastest) / median, says how far to trust it. A row
  whose spread exceeds 20 % is flagged (`!`): rerun it on a quieter machine.
- A call shorter than `min_time` is looped so that one sample lasts at least
  that long (timer resolution and Python's own overhead stay small).
- GPU work is synchronised before the clock stops (`synced`).
- The BLAS NumPy runs is printed (`blas_kernel`, through threadpoolctl), and
  some machines force an old OpenBLAS kernel through OPENBLAS_CORETYPE and
  OPENBLAS_L2_SIZE: `free_blas_yardstick()` lets a benchmark unset both for its
  own NumPy yardstick, and says so; tests and CI keep the machine's settings.
"""
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

SPREAD_FLAG = 0.20      # a row whose (max - min) / median exceeds this is flagged as noisy
MIN_REPEAT = 5          # what a benchmark reports by default: at least this many repeats


def sync(be=None):
    """Wait for queued GPU work (a no-op on CPU backends)."""
    if be is not None and be.name == "cuda":
        import cupy
        cupy.cuda.Device().synchronize()


def synced(fn, be=None):
    """fn, followed by waiting for the GPU when `be` is the cuda backend (what a timer must see)."""
    if be is None or be.name != "cuda":
        return fn

    def call():
        out = fn()
        sync(be)
        return out
    return call


class Timing:
    """The seconds per call of one implementation, one sample per repeat."""

    def __init__(self, samples):
        self.samples = sorted(samples)

    @property
    def median(self):
        return statistics.median(self.samples)

    @property
    def best(self):
        return self.samples[0]

    @property
    def spread(self):
        """(slowest - fastest) / median over the repeats: 0.05 means the repeats lie within 5 %."""
        return (self.samples[-1] - self.samples[0]) / self.median if self.median > 0 else 0.0

    @property
    def noisy(self):
        return len(self.samples) > 1 and self.spread > SPREAD_FLAG

    def spread_text(self):
        """'7%', or '31% !' for a flagged row, or '-' for one sample (not a measurement)."""
        if len(self.samples) < 2:
            return "-"
        return f"{self.spread * 100:.0f}%" + (" !" if self.noisy else "")

    def __repr__(self):
        return f"Timing(median={self.median:.4g} s, spread={self.spread:.0%}, n={len(self.samples)})"


def interleaved(fns, repeat=MIN_REPEAT, warmup=1, min_time=0.05, clock=time.perf_counter, pause=0.0,
                self_timed=()):
    """Time every callable of `fns` ({label: fn}) in turns: A B C, A B C, ... (see the top).

    Returns {label: Timing}. Each fn must do all its work before it returns (wrap
    GPU work with `synced`). `clock` is wall time by default; time.process_time
    counts CPU time (all threads), for pure-CPU work on a machine others share.

    Two needs of a few benchmarks, off by default:
    - `pause`: seconds to sleep before each timed sample (not counted). Chapter 04
      needs it: OpenBLAS and torch's OpenMP keep their worker threads spinning
      for a while after a call, and those spinners would take cores from the
      implementation timed next.
    - `self_timed`: the labels whose fn returns its own seconds per call, which
      then replace the clock's reading: a call that runs in another process (a
      torch child, an MPI launch) and whose start-up the clock must not count.
    """
    loops = {}
    for label, fn in fns.items():          # warm-up, and how many calls make one sample
        for _ in range(warmup):
            fn()
        n = 1
        while min_time > 0:            # (min_time 0: one call per sample, no calibration run)
            t0 = clock()
            for _ in range(n):
                fn()
            dt = clock() - t0
            if dt >= min_time or n >= 1 << 20:
                break
            n *= 2
        loops[label] = n
    samples = {label: [] for label in fns}
    for _ in range(max(1, repeat)):
        for label, fn in fns.items():
            n = loops[label]
            if pause > 0:
                time.sleep(pause)
            if label in self_timed:
                samples[label].append(sum(fn() for _ in range(n)) / n)
                continue
            t0 = clock()
            for _ in range(n):
                fn()
            samples[label].append((clock() - t0) / n)
    return {label: Timing(s) for label, s in samples.items()}


def best_time(fn, be=None, repeat=MIN_REPEAT, warmup=1, min_time=0.05):
    """The median seconds per call of fn alone (kept for quick looks; benchmarks compare with interleaved)."""
    return interleaved({"fn": synced(fn, be)}, repeat, warmup, min_time)["fn"].median


SPREAD_NOTE = (f"spread = (slowest - fastest) / median over the repeats; '!' flags a spread above "
               f"{SPREAD_FLAG:.0%}: that row is noisy, rerun it when the machine is quiet")


# --- which BLAS the NumPy yardstick runs ---------------------------------------------------

BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_FREED = "PYSTORY_BENCH_FREED_BLAS"     # set in the re-executed process: what was unset


def free_blas_yardstick(keep=False):
    """Let NumPy's OpenBLAS pick its own kernel for this benchmark.

    Some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (for old OpenBLAS
    builds that misdetect a CPU); they then run NumPy's matmuls with an older,
    slower kernel, which flatters our C code. OpenBLAS reads them once, when it
    loads, so this re-executes the benchmark without them (unless `keep`).
    Tests and CI never call this: they keep the machine's settings.
    Returns a line to print: what was unset, or nothing.
    """
    if os.environ.get(_FREED) is not None:
        return os.environ[_FREED]
    found = {k: os.environ[k] for k in BLAS_ENV if k in os.environ}
    if not found or keep:
        return ""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    env[_FREED] = ("unset for the NumPy yardstick: " + ", ".join(f"{k}={v}" for k, v in found.items())
                   + " (--keep-blas-env keeps them)")
    sys.stdout.flush()
    argv = getattr(sys, "orig_argv", [sys.executable] + sys.argv)[1:]   # the same command, flags and all
    os.execve(sys.executable, [sys.executable] + argv, env)


def add_bench_args(parser, repeat=MIN_REPEAT):
    """What every benchmark accepts: --repeat, --keep-blas-env and --refresh-figures."""
    parser.add_argument("--repeat", type=int, default=repeat,
                        help="timed repeats of each implementation after the warm-up (fewer than 5: a smoke test)")
    parser.add_argument("--keep-blas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for NumPy's yardstick (default: unset them)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="count CPU seconds of this process (all its threads) instead of wall time: "
                             "steadier on a machine other jobs share; compare with 1 thread (OMP_NUM_THREADS=1)")
    return add_output_args(parser)


def clock_of(args):
    """The clock a benchmark's --cpu-time asks for: time.process_time, or wall time (perf_counter)."""
    return time.process_time if getattr(args, "cpu_time", False) else time.perf_counter


def preamble(keep_blas_env=False, note=True):
    """Start a benchmark: free NumPy's BLAS kernel (may re-execute), then the lines to print first.

    note=False leaves SPREAD_NOTE out, for a benchmark that prints it under its tables."""
    freed = free_blas_yardstick(keep=keep_blas_env)
    lines = [f"machine: {machine()}", blas_kernel()]
    if freed:
        lines.append(freed)
    elif keep_blas_env and any(k in os.environ for k in BLAS_ENV):
        lines.append("kept for the NumPy yardstick: " + ", ".join(f"{k}={os.environ[k]}" for k in BLAS_ENV
                                                                  if k in os.environ))
    if note:
        lines.append(SPREAD_NOTE)
    return "\n".join(lines)


def cells(t, scale=1e3):
    """The two table cells of a Timing: its median (times `scale`: ms by default) and its spread."""
    return [t.median * scale, t.spread_text()]


def blas_kernel():
    """Which BLAS NumPy runs and which kernel it picked, from threadpoolctl (if installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "NumPy's BLAS kernel: unknown (pip install threadpoolctl to see it)"
    np.ones(2) @ np.ones(2)     # make sure NumPy's BLAS is loaded
    for lib in threadpool_info():
        if lib.get("user_api") == "blas" and "numpy" in lib.get("filepath", ""):
            return (f"NumPy's BLAS: {lib['internal_api']} {lib.get('version')}, kernel {lib.get('architecture')}, "
                    f"{lib.get('num_threads')} threads")
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            return (f"NumPy's BLAS: {lib['internal_api']} {lib.get('version')}, kernel {lib.get('architecture')}, "
                    f"{lib.get('num_threads')} threads")
    return "NumPy's BLAS: not found by threadpoolctl"


def load_average():
    """The 1-minute load average (how busy the machine was), or None where unknown."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def gpu_name():
    try:
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else name
    except Exception:
        return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def vector_isa():
    """The widest vector instructions the CPU has (what -march=native compiles for)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((ln for ln in f if ln.startswith("flags")), "").split()
    except OSError:
        return None
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"), ("sse2", "SSE2")):
        if flag in flags:
            return name
    return None


def machine():
    """One line naming the machine, its thread count, its load and the date, for result tables."""
    threads = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count())
    gpu = gpu_name()
    isa = vector_isa()
    load = load_average()
    where = (f"{cpu_name()}" + (f" ({isa})" if isa else "") + f", {os.cpu_count()} cores, {threads} threads"
             + (f", GPU {gpu}" if gpu else ", no GPU") + (f", load {load:.1f}" if load is not None else ""))
    return f"{where}; {datetime.date.today().isoformat()}"


def markdown_table(headers, rows):
    """A GitHub markdown table; floats get 4 significant digits."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def available(names):
    """The backends among `names` that run here (emu is never timed: it is a correctness tool)."""
    import pystory
    ok = []
    for name in names:
        try:
            pystory.backend(name)
            ok.append(name)
        except pystory.BackendUnavailable:
            pass
    return ok


# --- where demos and benchmarks write --------------------------------------------------------
#
# By default into build/figures/<chapter>/ (untracked: running a demo or a benchmark leaves
# `git status` clean); with --refresh-figures into chapters/<chapter>/figures/, the copies the
# lesson shows and git tracks. Every file is written atomically.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFRESH_FLAG = "--refresh-figures"


def add_output_args(parser):
    """Add --refresh-figures to a demo's or benchmark's argparse parser."""
    parser.add_argument(REFRESH_FLAG, action="store_true",
                        help="write the committed figures and tables in the chapter's figures/ "
                             "(default: build/figures/<chapter>/, untracked)")
    return parser


def output_dir(chapter_dir, refresh=False):
    """The folder a chapter's figures and tables go to (created)."""
    chapter_dir = os.path.abspath(chapter_dir)
    if refresh:
        d = os.path.join(chapter_dir, "figures")
    else:
        d = os.path.join(ROOT, "build", "figures", os.path.basename(chapter_dir))
    os.makedirs(d, exist_ok=True)
    return d


def figure_path(chapter_dir, name, refresh=False):
    return os.path.join(output_dir(chapter_dir, refresh), name)


def save_figure(fig, path, dpi=110):
    """Write a matplotlib figure atomically and say where."""
    from pystory.atomic import save_figure as _save
    _save(fig, path, dpi=dpi)
    print(f"  wrote {os.path.relpath(path)}")
    return path


def write_text(path, text):
    """Write a table or a text file atomically and say where."""
    from pystory.atomic import write_text_atomic
    write_text_atomic(path, text)
    print(f"  wrote {os.path.relpath(path)}")
    return path


def rng_array(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
