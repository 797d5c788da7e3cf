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

Timing: implementations are interleaved — one call of each, round after
round — so that a change in the machine's load hits all of them alike; the
table gives the median and the spread (min .. max) over the rounds. The
emulator is never timed; cuda rows appear only on a machine with a GPU.

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
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds per measurement")
    p.add_argument("--full-nltk", action="store_true", help="time nltk on all stories (over an hour)")
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
from pystory.bench import available, machine, markdown_table, output_dir, sync  # noqa: E402


def interleaved(fns, rounds, be_of=None, min_time=0.02):
    """{name: [seconds per call, one per round]}: every round times each fn once (looped until
    min_time has passed, so short calls are not all timer noise), in the same order."""
    be_of = be_of or {}
    loops = {}
    for name, fn in fns.items():                     # warm-up, and how many calls make one timing
        fn()
        sync(be_of.get(name))
        n, t = 1, 0.0
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            sync(be_of.get(name))
            t = time.perf_counter() - t0
            if t >= min_time or n >= 1 << 16:
                break
            n *= 2
        loops[name] = n
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(loops[name]):
                fn()
            sync(be_of.get(name))
            times[name].append((time.perf_counter() - t0) / loops[name])
    return times


def summary(ts):
    return float(np.median(ts)), float(np.min(ts)), float(np.max(ts))


def fmt_ms(ts):
    med, lo, hi = summary(ts)
    return f"{med * 1e3:.3g} ({lo * 1e3:.3g} .. {hi * 1e3:.3g})"


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
    fns, bes = {}, {}
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
            fns[label], bes[label] = step, be
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
    return fns, bes


def bench_conv(quick):
    rows, points = [], {}
    for B, T, Cin, Cout, K in conv_sizes(quick):
        fns, bes = conv_closures(B, T, Cin, Cout, K)
        times = interleaved(fns, ARGS.rounds, bes)
        flops = 3 * 2.0 * B * (T - K + 1) * Cout * Cin * K          # forward + dx + dw
        size = f"{B}x{T}x{Cin}->{Cout}, K={K}"
        ref = summary(times["torch (CPU)"])[0] if "torch (CPU)" in times else None
        for label, ts in times.items():
            med = summary(ts)[0]
            vs = f"{ref / med:.2f}x" if ref and not label.startswith("cuda") else "-"
            rows.append([size, label, fmt_ms(ts), f"{flops / med / 1e9:.1f}", vs])
            points.setdefault(label, []).append((size, flops / med / 1e9))
        if "cuda" not in [n.split()[0] for n in times]:
            rows.append([size, "cuda", "not yet measured (no GPU here)", "-", "-"])
    return rows, points


# --- Self-BLEU ------------------------------------------------------------------------------------

def bench_self_bleu(quick):
    from pystory import metrics
    from pystory.data.storyworld import generate_stories
    n = 200 if quick else 2000
    stories = generate_stories(n, seed=11)
    fns = {"c": lambda: metrics.self_bleu(stories, 4, impl="c"),
           "numpy": lambda: metrics.self_bleu(stories, 4, impl="numpy")}
    values = {k: f() for k, f in fns.items()}
    times = interleaved(fns, max(3, ARGS.rounds // 2), min_time=0.0)
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
    for label, ts in times.items():
        med = summary(ts)[0]
        vs = f"{nltk_time / med:,.0f}x" if nltk_time else "-"
        rows.append([f"{n} stories", label, f"{values[label]:.4f}", f"{med:.3f} ({min(ts):.3f} .. {max(ts):.3f})", vs])
    rows.append([f"{n} stories", "nltk sentence_bleu (Texygen)", "", f"{nltk_time:.0f}" if nltk_time else "-", "1x"])
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
    from pystory.atomic import save_figure
    save_figure(fig, path, dpi=120)
    plt.close(fig)
    return path


def main():
    import subprocess
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.split("load average:")[-1].strip()
    conv_rows, points = bench_conv(ARGS.quick)
    sb_rows, note = bench_self_bleu(ARGS.quick)
    lines = [f"Chapter 05 benchmark; {machine()}; {ARGS.threads} threads for c and PyTorch; "
             f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; load average when it started: {load}",
             "", "conv1d forward + backward, ms per call: median (min .. max) over "
             f"{ARGS.rounds} interleaved rounds", "",
             markdown_table(["B x T x Cin -> Cout", "impl", "ms", "GFLOP/s", "vs torch (CPU)"], conv_rows), "",
             "Self-BLEU-4, texts in, one number out: seconds, median (min .. max)" + note, "",
             markdown_table(["corpus", "impl", "Self-BLEU-4", "seconds", "vs nltk"], sb_rows)]
    text = "\n".join(lines)
    print(text)
    d = output_dir(HERE, ARGS.refresh_figures)
    from pystory.atomic import write_text_atomic
    write_text_atomic(os.path.join(d, "bench.md"), text + "\n")
    png = plot(points, os.path.join(d, "bench.png"))
    print(f"wrote {os.path.relpath(png, os.path.dirname(os.path.dirname(HERE)))} and bench.md")


if __name__ == "__main__":
    main()
