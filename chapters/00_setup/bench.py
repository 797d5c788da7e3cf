"""Chapter 00 benchmark: axpy and rowsum in numpy, c and cuda (when a GPU is present),
and what the declaration checker costs per call.

    python chapters/00_setup/bench.py [--quick]

Both ops are memory-bound: they do one or two flops per float they read, so
the number that matters is bandwidth — bytes moved per second. The table
shows the time, the effective bandwidth and the speed-up over NumPy, all
measured in this one run. The emulator is never timed (it is a correctness
tool, thousands of times slower than a GPU).

The checker table times, on tiny arrays (so the op itself costs little), each
op of the c backend as a user calls it (checked against its declaration) and
the same binding without the checker (inspect.unwrap), interleaved, many
rounds; it reports the median and the spread (25th-75th percentile). It counts
CPU time (time.process_time): the checker is pure CPU work, and on a shared
machine wall time would mostly measure the other jobs.
"""
import argparse
import inspect
import os
import sys
import time

import numpy as np

import pystory
from pystory.bench import (add_bench_args, available, cells, figure_path, interleaved, machine,
                           markdown_table, preamble, rng_array, save_figure, synced)

HERE = os.path.dirname(os.path.abspath(__file__))


def cases(quick):
    axpy_sizes = [10_000, 1_000_000] if quick else [10_000, 1_000_000, 16_000_000]
    rowsum_shapes = [(1024, 256), (256, 16384)] if quick else [(1024, 256), (4096, 4096), (256, 65536)]
    return axpy_sizes, rowsum_shapes


def run(quick=False, repeat=5):
    """Every implementation of each op and size timed interleaved (pystory/bench.py's method)."""
    names = available(["numpy", "c", "cuda"])
    axpy_sizes, rowsum_shapes = cases(quick)
    rows, points = [], {}
    for n in axpy_sizes:
        x, y = rng_array(n, seed=1), rng_array(n, seed=2)
        nbytes = 3 * 4 * n  # read x, y; write out
        fns = {}
        for name in names:
            be = pystory.backend(name)
            xd, yd = be.asarray(x), be.asarray(y)
            fns[name] = synced(lambda be=be, xd=xd, yd=yd: be.axpy(2.0, xd, yd), be)
        times = interleaved(fns, repeat)
        base = times[names[0]].median
        for name, t in times.items():
            rows.append([f"axpy n={n:,}", name, *cells(t), nbytes / t.median / 1e9, base / t.median])
            points.setdefault(("axpy", name), []).append((nbytes, nbytes / t.median / 1e9))
    for R, C in rowsum_shapes:
        x = rng_array((R, C), seed=3)
        nbytes = 4 * (R * C + R)
        fns = {}
        for name in names:
            be = pystory.backend(name)
            xd = be.asarray(x)
            versions = ("naive", "warp", "block") if name == "cuda" else (None,)
            for v in versions:
                kw = {} if v is None else {"version": v}
                label = name if v is None else f"cuda {v}"
                fns[label] = synced(lambda be=be, xd=xd, kw=kw: be.rowsum(xd, **kw), be)
        times = interleaved(fns, repeat)
        base = times[names[0]].median
        for label, t in times.items():
            rows.append([f"rowsum {R}x{C}", label, *cells(t), nbytes / t.median / 1e9, base / t.median])
            points.setdefault(("rowsum", label), []).append((nbytes, nbytes / t.median / 1e9))
    return rows, points


def checker_cases(be):
    """(op, arguments, the sizes its binding asks for) on tiny arrays: the checker's work dominates."""
    f32 = lambda *shape: be.asarray(np.ones(shape, np.float32))   # noqa: E731
    p, g, m, v = f32(8), f32(8), f32(8), f32(8)
    return [
        ("axpy", (2.0, f32(4), f32(4)), {}),
        ("layernorm_backward", (f32(2, 4), f32(2, 4), f32(4), f32(2), f32(2)), {"C": 4}),
        ("embedding_forward (ids in range)", (be.asarray(np.zeros((2, 4), np.int32)), f32(16, 4)), {"V": 16, "C": 4}),
        ("adamw_update (distinct, writes)", (p, g, m, v, 1, 1e-3, 0.9, 0.95, 1e-8, 0.0, None), {}),
    ]


def checker_overhead(rounds=200, loops=200):
    be = pystory.backend("c")
    rows = []
    for label, args, sizes in checker_cases(be):
        checked = getattr(be, label.split()[0])
        raw = inspect.unwrap(checked)            # the binding itself, called with the sizes the checker would pass
        samples = {"checked": [], "unchecked": []}
        for _ in range(rounds):                  # interleaved: drift and load hit both alike
            for name, call in (("checked", lambda: checked(*args)), ("unchecked", lambda: raw(*args, **sizes))):
                t0 = time.process_time()
                for _ in range(loops):
                    call()
                samples[name].append((time.process_time() - t0) / loops * 1e6)
        c, u = (np.percentile(samples[k], [25, 50, 75]) for k in ("checked", "unchecked"))
        d = np.percentile(np.subtract(samples["checked"], samples["unchecked"]), [25, 50, 75])
        rows.append([label, len(args), f"{c[1]:.2f} ({c[0]:.2f}-{c[2]:.2f})", f"{u[1]:.2f} ({u[0]:.2f}-{u[2]:.2f})",
                     f"{d[1]:.2f} ({d[0]:.2f}-{d[2]:.2f})"])
    return rows


def plot(points, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, op in zip(axes, ("axpy", "rowsum")):
        for (o, label), pts in points.items():
            if o == op:
                ax.plot([p[0] / 1e6 for p in pts], [p[1] for p in pts], "o-", label=label)
        ax.set_xscale("log")
        ax.set_xlabel("MB moved")
        ax.set_ylabel("effective bandwidth (GB/s)")
        ax.set_title(op)
        ax.legend()
    fig.suptitle(f"chapter 00 — {machine()}", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes only")
    a = add_bench_args(p).parse_args(argv)
    print(preamble(a.keep_blas_env))
    rows, points = run(a.quick, a.repeat)
    print(markdown_table(["op", "implementation", "median (ms)", "spread", "GB/s", "speed-up vs numpy"], rows))
    print()
    print("the declaration checker, c backend, tiny arrays (µs per call: median (25th-75th percentile)):")
    print(markdown_table(["op", "arguments", "checked", "unchecked binding", "checker's cost"],
                         checker_overhead(rounds=50 if a.quick else 200)))
    plot(points, figure_path(HERE, "bench.png", a.refresh_figures))


if __name__ == "__main__":
    sys.exit(main())
