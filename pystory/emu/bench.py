"""How much the emulator's checked mode costs: the test kernels of
tests/kernels/ in the fast mode and in the checked mode (all four checks),
interleaved in one run, median and spread of each, and the ratio of the
medians and of the best runs (on a busy machine the best runs are the ones
least disturbed).

    python -m pystory.emu.bench [--repeat 9] [--threads N]

The checked mode is a sanitizer, not a way to run big problems: the target
is a slowdown within 100x of the fast mode (cuda/emu/README.md quotes it).
A launch is also timed on its own, for the fixed cost per launch.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from pystory import emu
from pystory.bench import machine, markdown_table

KERNELS = Path(__file__).resolve().parents[2] / "tests" / "kernels"


def workloads():
    """name -> (module file, kernel, grid, block, args, shared_mem)."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    n = 64
    A = rng.standard_normal((n, n), dtype=f32)
    B = rng.standard_normal((n, n), dtype=f32)
    x1k = rng.standard_normal(1024).astype(f32)
    x16k = rng.standard_normal(16384).astype(f32)
    rows = rng.standard_normal((32, 200)).astype(f32)
    data = rng.integers(0, 256, 100_000).astype(np.uint8)
    return {
        "matmul_tiled 64x64x64 (shared tiles)": ("emu_matmul.cu", "matmul_tiled", (4, 4), (16, 16),
                                                lambda: (A, B, np.zeros((n, n), f32), np.int32(n), np.int32(n),
                                                         np.int32(n)), 0),
        "scan_hillis_steele 1024 (barriers)": ("emu_scan.cu", "scan_hillis_steele", 1, 1024,
                                               lambda: (x1k, np.zeros_like(x1k), np.int32(1024)), 0),
        "block_sum 16384 (shuffles)": ("emu_warp.cu", "block_sum", 64, 256,
                                       lambda: (x16k, np.zeros(64, f32), np.int32(16384)), 0),
        "softmax_rows 32x200 (device functions)": ("emu_misc.cu", "softmax_rows", 32, 256,
                                                   lambda: (rows, np.zeros_like(rows), np.int32(200)), 0),
        "histogram256 100k (atomics)": ("emu_atomics.cu", "histogram256", 16, 256,
                                        lambda: (data, np.int32(data.size), np.zeros(256, np.int32)), 0),
        "bounded, 1 block of 32 (launch cost)": ("emu_misc.cu", "bounded", 1, 32,
                                                 lambda: (np.zeros(32, np.int32),), 0),
    }


def timed(fn, repeat):
    fn()  # warm up (and compile)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def run(repeat=9):
    mods = {}
    rows = []
    for name, (file, kernel, grid, block, args, shared) in workloads().items():
        fns = {}
        for mode in ("fast", "checked"):
            key = (file, mode)
            if key not in mods:
                mods[key] = emu.RawModule(path=KERNELS / file, check=(mode == "checked"))
            k = mods[key].get_function(kernel)
            fns[mode] = lambda k=k: k(grid, block, args(), shared_mem=shared)
        times = {"fast": [], "checked": []}
        for _ in range(repeat):  # interleaved: one of each, repeat
            for mode in ("fast", "checked"):
                times[mode] += timed(fns[mode], 1)
        fast, checked = statistics.median(times["fast"]), statistics.median(times["checked"])
        rows.append([name, fast * 1e3, f"{min(times['fast']) * 1e3:.3g}-{max(times['fast']) * 1e3:.3g}",
                     checked * 1e3, f"{min(times['checked']) * 1e3:.3g}-{max(times['checked']) * 1e3:.3g}",
                     checked / fast, min(times["checked"]) / min(times["fast"])])
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m pystory.emu.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--threads", type=int, help="PYSTORY_EMU_THREADS for the run")
    a = p.parse_args(argv)
    if a.threads:
        os.environ["PYSTORY_EMU_THREADS"] = str(a.threads)
    rows = run(a.repeat)
    print(f"Emulator: fast vs checked mode (all four checks), median of {a.repeat} interleaved runs; "
          f"{machine()}; load {os.getloadavg()[0]:.1f}")
    print(markdown_table(["kernel", "fast ms (median)", "fast range", "checked ms (median)", "checked range",
                          "slowdown (medians)", "slowdown (best runs)"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
