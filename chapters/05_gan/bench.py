"""Chapter 05 benchmark: conv1d forward + backward (numpy, c, cuda, PyTorch) and Self-BLEU-4 (c, numpy, nltk).

    python chapters/05_gan/bench.py [--quick] [--threads T] [--full-nltk] [--refresh-figures]

conv1d. One forward and one backward (dx, dw, db) of the discriminator's
layer at three sizes: the shipped reranker's (B=32 stories of T=256 tokens,
32 -> 32 channels, width 5), and two larger ones. PyTorch runs
torch.nn.functional.conv1d on the same (B, Cin, T) data with autograd; c
and PyTorch use the same number of threads (--threads, default all cores).
c runs both versions: naive (the five loops of the definition) and tiled
(one blocked matmul over the windows). Target: c tiled at least as fast
as PyTorch on the CPU.

Self-BLEU-4 of 2,000 storyworld stories, end to end (the texts in, one
number out): the C and NumPy corpus algorithm, and nltk's sentence_bleu
called as Texygen calls it (each story against the 1,999 others). nltk
needs minutes per hundred stories, so by default it scores the first 20
stories against their 1,999 others and the table gives that time times
100, marked "(extrapolated)": every story costs nltk the same kind of pass
over the 1,999 others. --full-nltk runs all 2,000 (over an hour).
Target: c at least 20x faster than nltk.

Timing: the method of every chapter's bench (issue 15, pystory/bench.py):
implementations take turns — one call of each, round after round, after a
warm-up — so that a change in the machine's load hits all of them alike;
the tables give the median and the spread, (slowest - fastest) / median over
the rounds, with `!` past 20 %, and the preamble names the machine, its load
and NumPy's BLAS kernel (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for
NumPy's row unless --keep-blas-env). The emulator is never timed; cuda rows
appear only on a machine with a GPU.

Output: the table and a plot (bench.md, bench.png) in build/figures/05_gan/
(untracked); --refresh-figures writes the committed copies in
chapters/05_gan/figures/ instead.
"""
import argparse
import os
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="one small size and 200 stories, for a smoke test")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads for c and PyTorch")
    p.add_argument("--repeat", "--rounds", dest="repeat", type=int, default=7,
                   help="interleaved rounds per measurement (Self-BLEU: at most 5); fewer than 5: a smoke test")
    p.add_argument("--full-nltk", action="store_true", help="time nltk on all stories (over an hour)")
    # plain argparse, not pystory.bench.add_bench_args: the options are read before NumPy loads (below)
    p.add_argument("--keep-blas-env", action="store_true",
                   help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for NumPy's yardstick (default: unset them)")
    p.add_argument("--cpu-time", action="store_true",
                   help="count CPU seconds of this process (all its threads) instead of wall time")
    p.add_argument("--refresh-figures", action="store_true",
                   help="write the committed figures/bench.md and .png (default: build/figures/05_gan/, untracked)")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)       # before our extension starts OpenMP
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import pystory  # noqa: E402
from pystory.bench import (SPREAD_NOTE, available, cells, clock_of, interleaved, markdown_table,  # noqa: E402
                           output_dir, preamble, save_figure, synced, write_text)

CLOCK = clock_of(ARGS)


# --- conv1d ------------------------------------------------------------------------------------

def conv_sizes(quick):
    if quick:
        return [(8, 64, 32, 32, 5)]
    return [(32, 256, 32, 32, 5), (32, 256, 64, 64, 3), (32, 128, 128, 128, 5)]


def conv_closures(B, T, Cin, Cout, K):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, Cin)).astype(np.float32)
    w = (rng.standard_normal((Cout, Cin, K)) / np.sqrt(Cin * K)).astype(np.float32)
    b = rng.standard_normal(Cout).astype(np.float32)
    dout = rng.standard_normal((B, T - K + 1, Cout)).astype(np.float32)
    fns = {}
    for name in available(["numpy", "c", "cuda"]):
        be = pystory.backend(name)
        xd, wd, bd, dd = (be.asarray(a) for a in (x, w, b, dout))
        versions = ["naive", "tiled"] if name in ("c", "cuda") else [None]
        for v in versions:
            kw = {"version": v} if v else {}
            label = f"{name} {v}" if v else name

            def step(be=be, xd=xd, wd=wd, bd=bd, dd=dd, kw=kw):
                _, cache = be.conv1d_forward(xd, wd, bd, **kw)
                be.conv1d_backward(dd, cache)
            fns[label] = synced(step, be)
    try:
        import torch
        torch.set_num_threads(ARGS.threads)
        xt = torch.tensor(x.transpose(0, 2, 1).copy(), requires_grad=True)       # (B, Cin, T)
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)
        dt = torch.tensor(dout.transpose(0, 2, 1).copy())

        def torch_step():
            y = torch.nn.functional.conv1d(xt, wt, bt)
            y.backward(dt)
        fns["torch (CPU)"] = torch_step
    except ImportError:
        pass
    return fns


def bench_conv(quick):
    rows, points = [], {}
    for B, T, Cin, Cout, K in conv_sizes(quick):
        times = interleaved(conv_closures(B, T, Cin, Cout, K), ARGS.repeat, clock=CLOCK)
        flops = 3 * 2.0 * B * (T - K + 1) * Cout * Cin * K          # forward + dx + dw
        size = f"{B}x{T}x{Cin}->{Cout}, K={K}"
        ref = times["torch (CPU)"].median if "torch (CPU)" in times else None
        for label, t in times.items():
            vs = f"{ref / t.median:.2f}x" if ref and not label.startswith("cuda") else "-"
            rows.append([size, label, *cells(t), f"{flops / t.median / 1e9:.1f}", vs])
            points.setdefault(label, []).append((size, flops / t.median / 1e9))
        if "cuda" not in [n.split()[0] for n in times]:
            rows.append([size, "cuda", "not yet measured (no GPU here)", "-", "-", "-"])
    return rows, points


# --- Self-BLEU ------------------------------------------------------------------------------------

def bench_self_bleu(quick):
    from pystory import metrics
    from pystory.data.storyworld import generate_stories
    n = 200 if quick else 2000
    stories = generate_stories(n, seed=11)
    fns = {"c": lambda: metrics.self_bleu(stories, 4, impl="c"),
           "numpy": lambda: metrics.self_bleu(stories, 4, impl="numpy")}
    values = {k: f() for k, f in fns.items()}          # the scores; this pass is also the warm-up
    times = interleaved(fns, min(ARGS.repeat, 5), warmup=0, min_time=0, clock=CLOCK)   # seconds each: 5 suffice
    rows = []
    nltk_time, note = None, ""
    try:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
        ws = [metrics.words(s) for s in stories]
        smooth = SmoothingFunction().method1
        m = n if ARGS.full_nltk else min(n, 20)
        t0 = time.perf_counter()
        scores = [sentence_bleu(ws[:i] + ws[i + 1:], ws[i], (0.25,) * 4, smoothing_function=smooth)
                  for i in range(m)]
        nltk_time = (time.perf_counter() - t0) * n / m
        note = "" if m == n else f" (extrapolated: {m} of the {n} stories timed, x {n / m:g})"
        ours = metrics.self_bleu_scores(stories, 4, impl="c")[:m]
        agree = float(np.abs(np.asarray(scores) - ours).max())
        note += f"; max |nltk - c| over the stories nltk scored: {agree:.1e}"
    except ImportError:
        note = " (nltk not installed: pip install nltk)"
    for label, t in times.items():
        vs = f"{nltk_time / t.median:,.0f}x" if nltk_time else "-"
        rows.append([f"{n} stories", label, f"{values[label]:.4f}", *cells(t, 1), vs])
    rows.append([f"{n} stories", "nltk sentence_bleu (Texygen)", "", f"{nltk_time:.0f}" if nltk_time else "-",
                 "- (one timing)", "1x"])
    return rows, note


def plot(points, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4))
    labels = list(points)
    sizes = [s for s, _ in points[labels[0]]]
    width = 0.8 / len(labels)
    for k, label in enumerate(labels):
        ax.bar([i + k * width for i in range(len(sizes))], [g for _, g in points[label]], width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sizes))])
    ax.set_xticklabels(sizes, fontsize=8)
    ax.set_ylabel("GFLOP/s (forward + backward)")
    ax.set_title("conv1d over time, forward + backward")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)
    return path


def main():
    where = preamble(ARGS.keep_blas_env, note=False)      # (may re-execute this script without a forced BLAS kernel)
    conv_rows, points = bench_conv(ARGS.quick)
    sb_rows, note = bench_self_bleu(ARGS.quick)
    clock = "CPU seconds of this process, all threads (--cpu-time)" if ARGS.cpu_time else "wall time"
    lines = [f"Chapter 05 benchmark; {ARGS.threads} threads for c and PyTorch; "
             f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; {clock}", where,
             "", f"conv1d forward + backward, ms per call: median and spread over {ARGS.repeat} interleaved rounds",
             "", markdown_table(["B x T x Cin -> Cout", "impl", "ms", "spread", "GFLOP/s", "vs torch (CPU)"], conv_rows),
             "", "Self-BLEU-4, texts in, one number out: seconds, median and spread" + note, "",
             markdown_table(["corpus", "impl", "Self-BLEU-4", "seconds", "spread", "vs nltk"], sb_rows),
             "", SPREAD_NOTE]
    text = "\n".join(lines)
    print(text)
    d = output_dir(HERE, ARGS.refresh_figures)
    write_text(os.path.join(d, "bench.md"), text + "\n")
    plot(points, os.path.join(d, "bench.png"))


if __name__ == "__main__":
    main()
