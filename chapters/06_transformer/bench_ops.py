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
    # The thread counts must be in the environment before NumPy loads OpenBLAS, and
    # pystory.bench imports NumPy: read --threads first, then the benchmark's own arguments.
    threads = p.parse_known_args(argv)[0].threads
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    from pystory.bench import add_bench_args
    return add_bench_args(p).parse_args(argv)


ARGS = parse_args(sys.argv[1:])

import numpy as np  # noqa: E402

import pystory  # noqa: E402
from pystory.bench import (available, cells, clock_of, figure_path, interleaved, markdown_table,  # noqa: E402
                           preamble,
                           rng_array, save_figure, synced)

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = ("naive", "tiled", "regblock")


def shapes(quick):
    if quick:
        return [(512, 256, 768)]
    return [(4096, 256, 768), (4096, 256, 1024), (4096, 256, 4096)]


def linear_calls(be, x, w, b, dout, **kw):
    """(forward, backward) closures of backend `be`'s linear layer on these arrays."""
    xd, wd, bd, dd = (be.asarray(a) for a in (x, w, b, dout))
    return (synced(lambda: be.linear_forward(xd, wd, bd, **kw), be),
            synced(lambda: be.linear_backward(dd, xd, wd, **kw), be))


def cublas_calls(x, w, b, dout):
    import cupy
    be = pystory.backend("cuda")
    xd, wd, bd, dd = (cupy.asarray(a) for a in (x, w, b, dout))
    return (synced(lambda: xd @ wd.T + bd, be),
            synced(lambda: (dd @ wd, dd.T @ xd, dd.sum(axis=0)), be))


def run(quick=False, repeat=5):
    names = available(["numpy", "c", "cuda"])
    rows, points = [], {}
    print(preamble(ARGS.keep_blas_env))
    print(f"{ARGS.threads} threads for c and OpenBLAS, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
          + ("; times are CPU seconds (--cpu-time)" if ARGS.cpu_time else ""))
    for N, C, OC in shapes(quick):
        x, w = rng_array((N, C), seed=1), rng_array((OC, C), seed=2)
        b, dout = rng_array(OC, seed=3), rng_array((N, OC), seed=4)
        flops_f, flops_b = 2.0 * N * C * OC, 4.0 * N * C * OC
        size = f"{N}x{C}x{OC}"
        calls = {}   # label -> (fwd, bwd)
        if "numpy" in names:
            calls["numpy (OpenBLAS)"] = linear_calls(pystory.backend("numpy"), x, w, b, dout)
        if "c" in names:
            calls["c"] = linear_calls(pystory.backend("c"), x, w, b, dout)
        if "cuda" in names:
            calls["cuBLAS (CuPy)"] = cublas_calls(x, w, b, dout)
            for v in VERSIONS:
                calls[f"cuda {v}"] = linear_calls(pystory.backend("cuda"), x, w, b, dout, version=v)
        clock = clock_of(ARGS)
        fwd = interleaved({k: f for k, (f, _) in calls.items()}, repeat, clock=clock)   # numpy c numpy c ...
        bwd = interleaved({k: g for k, (_, g) in calls.items()}, repeat, clock=clock)
        for label in calls:
            tf, tb = fwd[label].median, bwd[label].median
            base = "cuBLAS (CuPy)" if label.startswith("cu") else "numpy (OpenBLAS)"
            ratio = (fwd[base].median + bwd[base].median) / (tf + tb)
            rows.append([size, label, *cells(fwd[label]), flops_f / tf / 1e9, *cells(bwd[label]),
                         flops_b / tb / 1e9, ratio])
            points.setdefault(label, []).append((size, (flops_f + flops_b) / (tf + tb) / 1e9))
    headers = ["N x C x OC", "impl", "fwd ms", "spread", "fwd GFLOP/s", "bwd ms", "spread", "bwd GFLOP/s",
               "fwd+bwd vs yardstick"]
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
    run(ARGS.quick, ARGS.repeat)
