"""Chapter 07 benchmark: int8 against float32 (the linear op and decoding), LoRA against full fine-tuning.

    python chapters/07_product/bench.py [--quick] [--threads T] [--refresh-figures]

1. linear_forward (float32, chapter 06) against linear_forward_int8 at the
   shipped model's sizes: N = 1 (one decoded token: a matrix-vector product)
   and N = 256 (a prompt), on numpy and c (cuda: when a GPU is present).
2. Decoding the shipped model, float32 against its int8 copy (greedy, KV
   cache, B = 1), tokens per second.
3. One training step of LoRA (r = 8) against one of full fine-tuning.
Every comparison is interleaved: each repeat times every implementation
once, in turn, so a change in the machine's load hits them all alike; the
tables give the median and the spread (10th-90th percentile) of the repeats
and ratios of medians. The emulator is never timed. Tables and a plot go to
build/figures/07_product/ (untracked), or to chapters/07_product/figures/ with --refresh-figures.
"""
import argparse
import os
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few repeats, for a smoke test")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (OpenMP and OpenBLAS); default 1")
    p.add_argument("--repeats", type=int, default=15, help="interleaved repeats of every timing; default 15")
    # plain argparse: the options are read before NumPy (and pystory) load, see below
    p.add_argument("--refresh-figures", action="store_true",
                   help="write the committed tables and plot (default: build/figures/07_product/)")
    a = p.parse_args(argv)
    if a.threads < 1 or a.repeats < 1:
        p.error("--threads and --repeats must be at least 1")
    return a


ARGS = parse_args(sys.argv[1:])
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)          # before NumPy and our extension load
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

import pystory  # noqa: E402
from pystory.bench import available, machine, markdown_table, output_dir, save_figure, sync, write_text  # noqa: E402


def interleaved(fns, repeats, min_time=0.02):
    """{name: array of seconds per call}: every repeat runs every fn once, in turn (each looped
    until it lasts min_time, so short calls are not timer noise)."""
    loops = {}
    for name, (fn, be) in fns.items():
        fn()
        sync(be)
        n = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            sync(be)
            if time.perf_counter() - t0 >= min_time or n >= 1 << 16:
                break
            n *= 2
        loops[name] = n
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, (fn, be) in fns.items():
            t0 = time.perf_counter()
            for _ in range(loops[name]):
                fn()
            sync(be)
            times[name].append((time.perf_counter() - t0) / loops[name])
    return {k: np.array(v) for k, v in times.items()}


def spread(t, unit=1e6):
    lo, med, hi = np.percentile(t, [10, 50, 90]) * unit
    return med, f"{med:.4g} ({lo:.3g}-{hi:.3g})"


def out_path(name):
    return os.path.join(output_dir(HERE, ARGS.refresh_figures), name)


def bench_linear(repeats):
    from pystory.checkpoint import load_checkpoint
    from pystory.gpt_cli import SHIPPED_MODEL
    rng = np.random.default_rng(0)
    cfg = load_checkpoint(SHIPPED_MODEL).config
    C, V = cfg.n_embd, cfg.vocab_size
    # (what, N, C, OC): the shipped model's matrices, whatever model ships
    sizes = [("qkv, 1 token", 1, C, 3 * C), ("fc, 1 token", 1, C, 4 * C), ("fcproj, 1 token", 1, 4 * C, C),
             ("logits, 1 token", 1, C, V), ("fc, 256 tokens", 256, C, 4 * C), ("logits, 256 tokens", 256, C, V)]
    if ARGS.quick:
        sizes = sizes[:2]
    rows, plot = [], []
    for name in available(["numpy", "c", "cuda"]):
        be = pystory.backend(name)
        for what, N, C, OC in sizes:
            x = be.asarray(rng.standard_normal((N, C)).astype(np.float32))
            w = (rng.standard_normal((OC, C)) / np.sqrt(C)).astype(np.float32)
            b = be.asarray(np.zeros(OC, np.float32))
            wq, s = (be.asarray(a) for a in pystory.backend("numpy").quantize_int8(w))
            w = be.asarray(w)
            t = interleaved({"float32": (lambda: be.linear_forward(x, w, b), be),
                             "int8": (lambda: be.linear_forward_int8(x, wq, s, b), be)}, repeats)
            mf, sf = spread(t["float32"])
            mq, sq = spread(t["int8"])
            rows.append([name, what, f"{N}x{C}x{OC}", sf, sq, f"{mf / mq:.2f}x"])
            plot.append((f"{name}: {what}", mf / mq))
    if "cuda" not in available(["cuda"]):
        rows.append(["cuda", "every size", "-", "not yet measured (no GPU)", "not yet measured", "-"])
    table = markdown_table(["backend", "product", "N x C x OC", "float32 us (p10-p90)", "int8 us (p10-p90)",
                            "int8 speed-up"], rows)
    return table, plot


def bench_decode(repeats, n_tokens=100):
    from pystory.gpt_cli import SHIPPED_MODEL, load_model
    from pystory.quantize import QuantizedGPT, quantize_params
    from pystory.measure import decode_tokens_per_second
    rows = []
    for name in available(["numpy", "c", "cuda"]):
        be = pystory.backend(name)
        model, tok, ck = load_model(SHIPPED_MODEL, name)
        q8 = QuantizedGPT(ck.config, be, quantize_params(ck.params, ck.config))
        prompt = tok.encode("Once upon a time")
        rates = {"float32": [], "int8": []}
        for _ in range(max(3, repeats // 3)):
            for label, m in (("float32", model), ("int8", q8)):
                rates[label].append(decode_tokens_per_second(m, n_tokens, prompt)[0])
        mf, sf = spread(np.array(rates["float32"]), 1)
        mq, sq = spread(np.array(rates["int8"]), 1)
        rows.append([name, sf, sq, f"{mq / mf:.2f}x"])
    if "cuda" not in available(["cuda"]):
        rows.append(["cuda", "not yet measured (no GPU)", "not yet measured", "-"])
    return markdown_table(["backend", "float32 tokens/s (p10-p90)", "int8 tokens/s (p10-p90)", "int8 / float32"], rows)


def bench_finetune(repeats):
    from pystory.gpt import GPT
    from pystory.gpt_cli import SHIPPED_MODEL
    from pystory.checkpoint import load_checkpoint
    from pystory.lora import LoRAGPT
    ck = load_checkpoint(SHIPPED_MODEL)
    rng = np.random.default_rng(0)
    B, T = (2, 64) if ARGS.quick else (8, 128)
    w = rng.integers(0, ck.config.vocab_size, (B, T + 1)).astype(np.int32)
    rows = []
    for name in available(["numpy", "c", "cuda"]):
        be = pystory.backend(name)
        x, y = be.asarray(w[:, :-1]), be.asarray(w[:, 1:])
        full = GPT(ck.config, be)
        full.load_params(ck.params)
        lora = LoRAGPT(ck.config, be, rank=8).init_adapters(0)
        lora.load_params(ck.params)

        def step(model):
            def run():
                model.forward(x, y)
                model.zero_grad()
                model.backward()
                be.clip_grad_norm(model.grads, 1.0)
                model.update(1e-4, 1)
            return run
        t = interleaved({"full": (step(full), be), "lora": (step(lora), be)}, max(3, repeats // 3), min_time=0)
        mf, sf = spread(t["full"], 1e3)
        ml, sl = spread(t["lora"], 1e3)
        rows.append([name, f"{full.num_params:,}", sf, f"{lora.num_trainable:,}", sl, f"{mf / ml:.2f}x"])
    if "cuda" not in available(["cuda"]):
        rows.append(["cuda", "-", "not yet measured (no GPU)", "-", "not yet measured", "-"])
    return markdown_table(["backend", "full: trainable", f"full: ms / step (B {B}, T {T})", "LoRA r=8: trainable",
                           "LoRA: ms / step", "LoRA speed-up"], rows)


def main():
    from pystory.c.int8 import simd_path
    repeats = 3 if ARGS.quick else ARGS.repeats
    where = (f"{machine()}; {ARGS.threads} thread(s); int8 dot product: {simd_path()}; "
             f"load average at start {os.getloadavg()[0]:.1f}")
    print(where, flush=True)
    linear, plot = bench_linear(repeats)
    print("\n## linear: float32 against int8\n\n" + linear, flush=True)
    decode = bench_decode(repeats)
    print("\n## decoding the shipped model (greedy, KV cache, B = 1)\n\n" + decode, flush=True)
    finetune = bench_finetune(repeats)
    print("\n## one fine-tuning step\n\n" + finetune, flush=True)
    text = (f"`python chapters/07_product/bench.py --threads {ARGS.threads}`: {where}; load average at the end "
            f"{os.getloadavg()[0]:.1f}.\n\n### linear\n\n{linear}\n\n### decoding\n\n{decode}\n\n"
            f"### fine-tuning step\n\n{finetune}\n")
    write_text(out_path("bench.md"), text)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(plot) + 1.2))
    ax.barh([p[0] for p in plot], [p[1] for p in plot], color="#4a7")
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xlabel("int8 speed-up over float32 (median, higher is better)")
    ax.invert_yaxis()
    fig.tight_layout()
    save_figure(fig, out_path("bench_int8.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
