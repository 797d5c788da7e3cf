"""Chapter 08 demo: the order of a sum, 2 processes against 1, and what ZeRO-1 saves.

    python chapters/08_scaling/demo.py            (about a minute on a CPU; --quick: seconds)

Prints, and writes to build/figures/08_scaling/ (untracked; --refresh-figures
writes the committed copies in chapters/08_scaling/figures/):
    demo.md            the three experiments' numbers
    two_vs_one.png     the loss of the same training on 2 processes, on 1 with 2 micro-batches,
                       and on 1 with the whole batch at once
    zero_memory.png    training state per rank for our model sizes, plain and ZeRO-1, 1 to 64 ranks
    alpha_beta.png     the alpha-beta model of a ring all-reduce of each model's gradients

1. Float addition is not associative: the same 2 x 1M gradients added in
   another order give other bits, which is why pystory reduces in rank order.
2. `mpiexec -n 2 python -m pystory train ...` against the same command on one
   process with --accum 2 (bit for bit) and with the whole batch (to rounding).
3. Memory per rank, counted from the sizes (16 bytes a parameter plain, 8 + 8/R
   with ZeRO-1), and the alpha-beta model with alpha and beta measured here.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from pystory.bench import add_output_args, output_dir, save_figure, write_text  # noqa: E402
from pystory.dist.ring_check import mpiexec  # noqa: E402
from pystory.gpt import PRESETS, GPTConfig, num_params  # noqa: E402


def order_of_a_sum(lines):
    rng = np.random.default_rng(0)
    g = rng.standard_normal((2, 1 << 20)).astype(np.float32) * np.float32(1e-3)
    third = rng.standard_normal(1 << 20).astype(np.float32) * np.float32(1e-3)
    left = (g[0] + g[1]) + third              # ((a + b) + c): rank order
    right = g[0] + (g[1] + third)             # (a + (b + c)): another tree
    differ = int((left != right).sum())
    lines += ["## 1. The order of a sum", "",
              f"Three ranks' gradients of 1,048,576 floats each, added as (a + b) + c and as a + (b + c): "
              f"{differ:,} of them ({100 * differ / left.size:.1f}%) differ in their last bits "
              f"(largest difference {np.abs(left - right).max():.2e}). An all-reduce that picks its own tree "
              f"gives such differences; sum_ranks adds in rank order and gives the same bits on any number "
              f"of ranks.", ""]
    print(lines[-2])


def train(corpus, out, steps, *extra, ranks=1):
    argv = [sys.executable, "-m", "pystory", "train", "--corpus", corpus, "--config", "tiny", "--set",
            "block_size=32", "--batch-size", "8", "--steps", str(steps), "--eval-every", "0", "--eval-batches", "2",
            "--ckpt-every", "0", "--lr", "3e-3", "--warmup", "5", "--out", out, *extra]
    cmd = ([mpiexec(), "-n", str(ranks)] if ranks > 1 else []) + argv
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    if r.returncode:
        sys.exit(f"demo: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    from pystory.checkpoint import load_checkpoint
    return load_checkpoint(os.path.join(out, "model.ckpt")), r.stdout


def two_versus_one(steps, plt, FIG, lines):
    from pystory.data.corpus import write_corpus
    from pystory.data.storyworld import generate_stories
    lines += ["## 2. Two processes against one", ""]
    if mpiexec() is None:
        lines += ["MPI is not installed (`make setup` installs it): skipped.", ""]
        print(lines[-2])
        return
    with tempfile.TemporaryDirectory(prefix="pystory-demo08-") as d:
        stories = generate_stories(200, seed=3)
        write_corpus(os.path.join(d, "train.txt"), stories[:180])
        write_corpus(os.path.join(d, "val.txt"), stories[180:])
        runs = {}
        runs["2 processes (mpiexec -n 2)"], log2 = train(d, os.path.join(d, "two"), steps, ranks=2)
        runs["1 process, --accum 2"], _ = train(d, os.path.join(d, "acc"), steps, "--accum", "2")
        runs["1 process, whole batch"], _ = train(d, os.path.join(d, "one"), steps)
    two, acc, one = runs.values()
    same = all(np.array_equal(getattr(two, k), getattr(acc, k)) for k in ("params", "m", "v"))
    diff = float(np.abs(two.params - one.params).max())
    comm = re.findall(r"rank (\d): ([\d.]+) s of ([\d.]+) s communicating", log2)
    lines += [f"{steps} steps of the tiny GPT, global batch 8 windows of 32 tokens, one OpenMP thread per process.",
              "",
              f"- 2 processes vs 1 process with 2 micro-batches: parameters, m and v "
              f"{'identical, bit for bit' if same else 'DIFFERENT (a bug)'}; final loss "
              f"{two.train_state['history']['loss'][-1]:.6f} vs {acc.train_state['history']['loss'][-1]:.6f}",
              f"- 2 processes vs 1 process with the whole batch: largest parameter difference {diff:.2e} "
              f"(float32 rounding: the weight gradients sum the rows in one loop or in two halves)"]
    lines += [f"- rank {r} spent {c} s of {t} s communicating" for r, c, t in comm] + [""]
    for ln in lines[-4 - len(comm):]:
        print(ln)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for (name, ck), style in zip(runs.items(), ["-", "--", ":"]):
        h = ck.train_state["history"]
        ax.plot(h["step"], h["loss"], style, lw=1.5, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title("the same training on 2 processes and on 1")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "two_vs_one.png"), dpi=120)
    plt.close(fig)


# The model sizes of the tables: (name, vocabulary, GPTConfig fields)
MODELS = [("small", 2048, PRESETS["small"]),                                        # the previous shipped model
          ("story", 4096, dict(block_size=384, n_layer=6, n_head=4, n_embd=128)),  # the shipped story model
          ("4m", 4096, PRESETS["4m"]), ("gpt2", 50257, PRESETS["gpt2"])]


def zero_memory(plt, FIG, lines):
    ranks = [1, 2, 4, 8, 16, 32, 64]
    lines += ["## 3. Memory per rank and the cost of an all-reduce", "",
              "| model | parameters | plain, every rank | ZeRO-1 on 2 ranks | ZeRO-1 on 8 ranks |", "|---|---|---|---|---|"]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name, V, fields in MODELS:
        P = num_params(GPTConfig(vocab_size=V, **fields))
        plain = [16 * P / 2**20] * len(ranks)                  # params, grads, m, v: 4 bytes each
        zero = [(8 * P + 8 * P / R) / 2**20 for R in ranks]    # m and v cut into R shards
        ax.plot(ranks, plain, "--", label=f"{name}: plain")
        ax.plot(ranks, zero, "o-", label=f"{name}: ZeRO-1")
        lines.append(f"| {name} | {P:,} | {plain[0]:,.1f} MiB | {zero[1]:,.1f} MiB | {zero[3]:,.1f} MiB |")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("ranks")
    ax.set_ylabel("training state per rank (MiB)")
    ax.set_title("params + grads + AdamW m, v (activations not counted)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "zero_memory.png"), dpi=120)
    plt.close(fig)
    lines.append("")
    print("\n".join(lines[-7:]))


def alpha_beta(plt, FIG, lines):
    if mpiexec() is None:
        return
    bench = os.path.join(HERE, "bench.py")
    r = subprocess.run([mpiexec(), "-n", "2", sys.executable, bench, "--worker", "allreduce", "1024", "3"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT))
    if r.returncode:
        sys.exit(f"demo: the ping-pong failed:\n{r.stderr[-2000:]}")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    a, b = res["alpha"], res["beta"]
    ranks = np.array([2, 4, 8, 16, 32, 64, 128])
    fig, ax = plt.subplots(figsize=(6, 3.4))
    lines += [f"Measured here between 2 processes (shared memory): alpha = {a * 1e6:.1f} us per message, "
              f"1/beta = {1 / b / 1e9:.2f} GB/s. A ring all-reduce of n bytes on R ranks takes "
              f"2(R-1) alpha + 2(R-1)/R n beta:", "",
              "| model | gradient bytes | 2 ranks | 8 ranks | 64 ranks |", "|---|---|---|---|---|"]
    for name, V, fields in MODELS:
        n = 4 * num_params(GPTConfig(vocab_size=V, **fields))
        t = 2 * (ranks - 1) * a + 2 * (ranks - 1) / ranks * n * b
        ax.plot(ranks, t * 1000, "o-", label=f"{name} ({n / 2**20:.0f} MiB)")
        lines.append(f"| {name} | {n / 2**20:,.1f} MiB | {t[0] * 1000:.2f} ms | {t[2] * 1000:.2f} ms | "
                     f"{t[5] * 1000:.2f} ms |")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("ranks")
    ax.set_ylabel("ms per all-reduce (model)")
    ax.set_title(f"ring all-reduce, alpha {a * 1e6:.0f} us, {1 / b / 1e9:.1f} GB/s (this machine)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "alpha_beta.png"), dpi=120)
    plt.close(fig)
    lines.append("")
    print("\n".join(lines[-9:]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="8 training steps instead of 60 (seconds)")
    args = add_output_args(p).parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    FIG = output_dir(HERE, args.refresh_figures)
    lines = ["# Chapter 08 demo", ""]
    order_of_a_sum(lines)
    two_versus_one(8 if args.quick else 60, plt, FIG, lines)
    zero_memory(plt, FIG, lines)
    alpha_beta(plt, FIG, lines)
    write_text(os.path.join(FIG, "demo.md"), "\n".join(lines))
    print(f"\nfigures in {FIG}")


if __name__ == "__main__":
    main()
