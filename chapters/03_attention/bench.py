"""Chapter 03 benchmark: causal attention, naive vs flash, forward and forward+backward.

    python chapters/03_attention/bench.py [--quick] [--T 128 256 ...] [--B 2]

Implementations: numpy naive (BLAS matmuls on the whole (T, T) matrix),
c naive, c flash, cuda naive and cuda flash (GPU only), and PyTorch's
scaled_dot_product_attention (is_causal=True, float32) when torch is
installed. Shapes follow GPT-2 small: 12 heads of 64. On a GPU, B = 8 and T
up to 4,096; on a CPU, B = 2 and T up to 1,024.

"memory" is the attention's own buffers beyond its input and output,
computed from what each version allocates: naive keeps the (B, NH, T, T)
probabilities for the backward (the CUDA naive also a second (T, T) buffer
of scores during the forward), flash keeps the (B, NH, T) log-sum-exp.
All times come from this one run (interleaved, median of --repeat runs, spread
beside it: pystory/bench.py); ratios are against numpy naive.
"""
import argparse
import os
import sys

import numpy as np

import pystory
from pystory.bench import (add_bench_args, available, cells, clock_of, figure_path, interleaved, machine,
                           markdown_table,
                           preamble, rng_array, save_figure, synced)

HERE = os.path.dirname(os.path.abspath(__file__))
NH, HS = 12, 64


def torch_sdpa(device):
    """(forward, forward+backward) closures factory for PyTorch's fused attention, or None."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    if os.environ.get("OMP_NUM_THREADS"):             # the same thread count as our C code
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    if device == "cuda" and not torch.cuda.is_available():
        return None

    def make(qkv, dout):
        B, T, C3 = qkv.shape
        C = C3 // 3
        x = torch.from_numpy(qkv).to(device)
        q, k, v = (x[:, :, i * C:(i + 1) * C].reshape(B, T, NH, HS).transpose(1, 2).contiguous() for i in range(3))
        dy = torch.from_numpy(dout).to(device).reshape(B, T, NH, HS).transpose(1, 2).contiguous()
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def fwd():
            with torch.no_grad():
                F.scaled_dot_product_attention(q, k, v, is_causal=True)
            sync()

        qg, kg, vg = (t.clone().requires_grad_(True) for t in (q, k, v))

        def fwd_bwd():
            out = F.scaled_dot_product_attention(qg, kg, vg, is_causal=True)
            out.backward(dy)
            sync()
        return fwd, fwd_bwd
    return make


def extra_bytes(version, B, T, gpu=False):
    if version == "naive":
        return 4 * B * NH * T * T * (2 if gpu else 1)
    if version == "flash":
        return 4 * B * NH * T
    return None


def run(Ts, B, repeat, clock):
    names = available(["numpy", "c", "cuda"])
    impls = []  # (label, backend name or "torch", version)
    if "numpy" in names:
        impls.append(("numpy naive", "numpy", "naive"))
    if "c" in names:
        impls += [("c naive", "c", "naive"), ("c flash", "c", "flash")]
    if "cuda" in names:
        impls += [("cuda naive", "cuda", "naive"), ("cuda flash", "cuda", "flash")]
    sdpa = torch_sdpa("cuda" if "cuda" in names else "cpu")
    if sdpa is not None:
        impls.append(("torch sdpa", "torch", None))
    else:
        print("(torch not installed: its row is skipped)")
    rows, points = [], {}
    for T in Ts:
        qkv = rng_array((B, T, 3 * NH * HS), seed=T)
        dout = rng_array((B, T, NH * HS), seed=T + 1)
        fwds, fwd_bwds, mems = {}, {}, {}
        for label, name, version in impls:
            if name == "torch":
                fwds[label], fwd_bwds[label] = sdpa(qkv, dout)
                mems[label] = None
            else:
                be = pystory.backend(name)
                q, dy = be.asarray(qkv), be.asarray(dout)
                fwd = getattr(be, f"attention_forward_{version}")
                bwd = getattr(be, f"attention_backward_{version}")
                fwds[label] = synced(lambda fwd=fwd, q=q: fwd(q, NH), be)
                fwd_bwds[label] = synced(lambda fwd=fwd, bwd=bwd, q=q, dy=dy: bwd(dy, fwd(q, NH)[1]), be)
                mems[label] = extra_bytes(version, B, T, gpu=name == "cuda")
        tf, tfb = interleaved(fwds, repeat, clock=clock), interleaved(fwd_bwds, repeat, clock=clock)  # A B C A B C
        base_f, base_fb = tf[impls[0][0]].median, tfb[impls[0][0]].median
        for label, _, _ in impls:
            f, fb, mem = tf[label], tfb[label], mems[label]
            mem_txt = "-" if mem is None else f"{mem / 2**20:.2f}"
            rows.append([T, label, *cells(f), *cells(fb), f"{base_f / f.median:.2f}x", f"{base_fb / fb.median:.2f}x",
                         mem_txt])
            points.setdefault(label, []).append((T, f.median, fb.median, mem))
            print(f"  T={T:<5} {label:<12} fwd {f.median * 1e3:9.2f} ms ({f.spread_text():>6})   "
                  f"fwd+bwd {fb.median * 1e3:9.2f} ms ({fb.spread_text():>6})", flush=True)
    return rows, points


def plot(points, path, B):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for label, pts in points.items():
        Ts = [p[0] for p in pts]
        axes[0].plot(Ts, [p[1] * 1e3 for p in pts], "o-", label=f"{label} fwd")
        axes[0].plot(Ts, [p[2] * 1e3 for p in pts], "s--", label=f"{label} fwd+bwd")
        if pts[0][3] is not None:
            axes[1].plot(Ts, [p[3] / 2**20 for p in pts], "o-", label=label)
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T")
    axes[0].set_ylabel("time (ms)")
    axes[0].set_title(f"causal attention, B={B}, {NH} heads of {HS}")
    axes[0].legend(fontsize=6)
    axes[1].set_ylabel("extra memory (MiB, computed from the buffers)")
    axes[1].set_title("what the backward keeps")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"chapter 03 — {machine()}", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="T up to 512 only")
    p.add_argument("--T", type=int, nargs="+", help="sequence lengths")
    p.add_argument("--B", type=int, help="batch size (default 8 on a GPU, 2 on a CPU)")
    a = add_bench_args(p).parse_args(argv)
    gpu = "cuda" in available(["cuda"])
    B = a.B or (8 if gpu else 2)
    Ts = a.T or ([128, 256, 512, 1024, 2048, 4096] if gpu else [128, 256, 512, 1024])
    if a.quick:
        Ts = [T for T in Ts if T <= 512]
    print(preamble(a.keep_blas_env))
    rows, points = run(Ts, B, a.repeat, clock_of(a))
    if a.cpu_time:
        print("(times are CPU seconds of this process, all threads: --cpu-time)")
    print()
    print(f"B={B}, {NH} heads of {HS}, float32; {machine()}")
    print(markdown_table(["T", "implementation", "fwd (ms)", "spread", "fwd+bwd (ms)", "spread", "fwd vs numpy",
                          "fwd+bwd vs numpy", "extra memory (MiB)"], rows))
    plot(points, figure_path(HERE, "bench.png", a.refresh_figures), B)


if __name__ == "__main__":
    sys.exit(main())
