"""Chapter 06 benchmark: the linear layer's GFLOP/s, ours against the field's tools.

    python chapters/06_transformer/bench_ops.py [--quick] [--threads T]

A GPT spends most of its time in linear layers: x (N, C) @ w.T (C, OC) with
N = B*T positions. We time forward (2*N*C*OC flops) and backward
(dx and dw: 4*N*C*OC flops) at GPT sizes for
    numpy   OpenBLAS through NumPy's @           (the CPU yardstick)
    c       csrc/linear.c, our blocked matmul     (target: >= 0.5x OpenBLAS)
    cuBLAS  CuPy's @, when a GPU is present        (the GPU yardstick)
    cuda    each version of cuda/linear.cu         (target: best >= 0.7x cuBLAS)
Both CPU rows use the same number of threads: the script sets
OMP_NUM_THREADS (our OpenMP) and OPENBLAS_NUM_THREADS (OpenBLAS) to the same
value (--threads, default: all cores) before NumPy is imported.
It also sets OMP_WAIT_POLICY=passive unless you set it: by default an OpenMP
thread that reaches a barrier first spins, burning the core; on a machine
where other programs compete for the cores, the spinning steals time from
the very thread it waits for, and our 2-thread matmul ran at half the speed
of our 1-thread one. Passive waiting sleeps instead (OpenBLAS's own threads
already do something similar).
The emulator is never timed.
"""
import argparse
import os
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="one small size, for a smoke test")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads for c and OpenBLAS")
    p.add_argument("--refresh-figures", action="store_true",
                   help="write the committed figures/linear_gflops.png (default: build/figures/06_transformer/)")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# Before NumPy loads OpenBLAS and before our extension starts OpenMP.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

import pystory  # noqa: E402
from pystory.bench import (available, best_time, figure_path, machine, markdown_table, rng_array,  # noqa: E402
                           save_figure)

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = ("naive", "tiled", "regblock")


def blas_info():
    """Which BLAS NumPy runs, and which OpenBLAS kernel it picked (threadpoolctl, if installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "OpenBLAS kernel: unknown (pip install threadpoolctl to see it)"
    for lib in threadpool_info():
        if lib.get("internal_api") in ("openblas", "mkl", "blis"):
            return (f"{lib['internal_api']} {lib.get('version')}, kernel {lib.get('architecture')}, "
                    f"{lib.get('num_threads')} threads")
    return "BLAS: not found by threadpoolctl"


def shapes(quick):
    if quick:
        return [(512, 256, 768)]
    return [(4096, 256, 768), (4096, 256, 1024), (4096, 256, 4096)]


def time_linear(be, x, w, b, dout, **kw):
    xd, wd, bd, dd = (be.asarray(a) for a in (x, w, b, dout))
    fwd = best_time(lambda: be.linear_forward(xd, wd, bd, **kw), be, repeat=3)
    bwd = best_time(lambda: be.linear_backward(dd, xd, wd, **kw), be, repeat=3)
    return fwd, bwd


def time_cublas(x, w, b, dout):
    import cupy
    be = pystory.backend("cuda")
    xd, wd, bd, dd = (cupy.asarray(a) for a in (x, w, b, dout))
    fwd = best_time(lambda: xd @ wd.T + bd, be, repeat=3)
    bwd = best_time(lambda: (dd @ wd, dd.T @ xd, dd.sum(axis=0)), be, repeat=3)
    return fwd, bwd


def run(quick=False):
    names = available(["numpy", "c", "cuda"])
    rows, points = [], {}
    for N, C, OC in shapes(quick):
        x, w = rng_array((N, C), seed=1), rng_array((OC, C), seed=2)
        b, dout = rng_array(OC, seed=3), rng_array((N, OC), seed=4)
        flops_f, flops_b = 2.0 * N * C * OC, 4.0 * N * C * OC
        size = f"{N}x{C}x{OC}"
        results = {}   # label -> (fwd s, bwd s)
        if "numpy" in names:
            results["numpy (OpenBLAS)"] = time_linear(pystory.backend("numpy"), x, w, b, dout)
        if "c" in names:
            results["c"] = time_linear(pystory.backend("c"), x, w, b, dout)
        if "cuda" in names:
            results["cuBLAS (CuPy)"] = time_cublas(x, w, b, dout)
            for v in VERSIONS:
                results[f"cuda {v}"] = time_linear(pystory.backend("cuda"), x, w, b, dout, version=v)
        for label, (tf, tb) in results.items():
            base = results["cuBLAS (CuPy)" if label.startswith("cu") else "numpy (OpenBLAS)"]
            gf, gb = flops_f / tf / 1e9, flops_b / tb / 1e9
            ratio = (flops_f + flops_b) / (tf + tb) / ((flops_f + flops_b) / (base[0] + base[1]) )
            rows.append([size, label, tf * 1e3, gf, tb * 1e3, gb, ratio])
            points.setdefault(label, []).append((size, (flops_f + flops_b) / (tf + tb) / 1e9))
    headers = ["N x C x OC", "impl", "fwd ms", "fwd GFLOP/s", "bwd ms", "bwd GFLOP/s",
               "fwd+bwd vs yardstick"]
    print(f"Linear layer, {machine()}; {ARGS.threads} threads for c and OpenBLAS, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(blas_info())
    print()
    print(markdown_table(headers, rows))
    print()
    print("yardstick: numpy (OpenBLAS) for the CPU rows, cuBLAS for the GPU rows;"
          " GPU: " + ("measured above" if "cuda" in names else "not measured (no GPU here)"))
    plot(points)


def plot(points):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no figure)")
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = list(points)
    sizes = [s for s, _ in points[labels[0]]]
    width = 0.8 / len(labels)
    for k, label in enumerate(labels):
        ax.bar([i + k * width for i in range(len(sizes))], [g for _, g in points[label]], width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sizes))])
    ax.set_xticklabels(sizes)
    ax.set_ylabel("GFLOP/s (forward + backward)")
    ax.set_xlabel("N x C x OC")
    ax.set_title("Linear layer throughput")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, figure_path(HERE, "linear_gflops.png", ARGS.refresh_figures), dpi=120)


if __name__ == "__main__":
    run(ARGS.quick)
