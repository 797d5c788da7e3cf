"""Small helpers every chapter's bench.py uses: timing, the machine, tables, plots.

Timings are the best of `repeat` runs after a warm-up (the minimum is the
least noisy estimate of what the code costs; the rest is interference).
GPU work is synchronised before the clock stops.
"""
import datetime
import os
import platform
import time

import numpy as np


def sync(be=None):
    """Wait for queued GPU work (a no-op on CPU backends)."""
    if be is not None and be.name == "cuda":
        import cupy
        cupy.cuda.Device().synchronize()


def best_time(fn, be=None, repeat=5, warmup=1, min_time=0.05):
    """Best wall time of fn() in seconds. Short calls are looped until a run
    lasts at least `min_time`, so that timer resolution does not dominate."""
    for _ in range(warmup):
        fn()
    sync(be)
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        sync(be)
        dt = time.perf_counter() - t0
        if dt >= min_time or loops >= 1 << 20:
            break
        loops *= 2
    best = dt / loops
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        sync(be)
        best = min(best, (time.perf_counter() - t0) / loops)
    return best


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


def machine():
    """One line naming the machine, its thread count and the date, for result tables."""
    threads = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count())
    gpu = gpu_name()
    where = f"{cpu_name()}, {threads} threads" + (f", GPU {gpu}" if gpu else ", no GPU")
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
