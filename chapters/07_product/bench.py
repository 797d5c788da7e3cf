"""Chapter 07 benchmark: int8 against float32 (the linear op and decoding), LoRA against full fine-tuning.

    python chapters/07_product/bench.py [--quick] [--threads T] [--refresh-figures]

1. linear_forward (float32, chapter 06) against linear_forward_int8 at the
   shipped model's sizes: N = 1 (one decoded token: a matrix-vector product)
   and N = 256 (a prompt), on numpy and c (cuda: when a GPU is present).
2. Decoding the shipped model, float32 against its int8 copy (greedy, KV
   cache, B = 1), tokens per second.
3. One training step of LoRA (r = 8) against one of full fine-tuning.
Every comparison follows the method of every chapter's bench (issue 15,
pystory/bench.py): each repeat times every implementation once, in turn,
after a warm-up, so a change in the machine's load hits them all alike; the
tables give the median, the spread (slowest - fastest) / median of the
repeats with `!` past 20 %, and ratios of medians; the preamble names the
machine, its load and NumPy's BLAS kernel (OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE are unset for NumPy's rows unless --keep-blas-env). Decoding
and fine-tuning take a third of --repeats (5 by default). The emulator is never timed. Tables and a plot go to
build/figures/07_product/ (untracked), or to chapters/07_product/figures/ with --refresh-figures.
"""
import argparse
import os
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few repeats, for a smoke test")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (OpenMP and OpenBLAS); default 1")
    p.add_argument("--repeats", "--repeat", dest="repeats", type=int,
                   help="interleaved repeats of every timing; default 15 (--quick: 3)")
    # plain argparse, not pystory.bench.add_bench_args: the options are read before NumPy (and pystory) load
    p.add_argument("--keep-blas-env", action="store_true",
                   help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for NumPy's yardstick (default: unset them)")
    p.add_argument("--cpu-time", action="store_true",
                   help="count CPU seconds of this process (all its threads) instead of wall time")
    p.add_argument("--refresh-figures", action="store_true",
                   help="write the committed tables and plot (default: build/figures/07_product/)")
    a = p.parse_args(argv)
    if a.repeats is None:
        a.repeats = 3 if a.quick else 15
    if a.threads < 1 or a.repeats < 1:
        p.error("--threads and --repeats must be at least 1")
    return a


ARGS = parse_args(sys.argv[1:])
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)          # before NumPy and our extension load
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

import pystory  # noqa: E402
from pystory.bench import (SPREAD_NOTE, available, cells, clock_of, interleaved, markdown_table,  # noqa: E402
                           output_dir, preamble, save_figure, synced, write_text)

CLOCK = clock_of(ARGS)


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
            t = interleaved({"float32": synced(lambda: be.linear_forward(x, w, b), be),
                             "int8": synced(lambda: be.linear_forward_int8(x, wq, s, b), be)}, repeats,
                            min_time=0.02, clock=CLOCK)
            f, q = t["float32"], t["int8"]
            rows.append([name, what, f"{N}x{C}x{OC}", *cells(f, 1e6), *cells(q, 1e6), f"{f.median / q.median:.2f}x"])
            plot.append((f"{name}: {what}", f.median / q.median))
    if "cuda" not in available(["cuda"]):
        rows.append(["cuda", "every size", "-", "not yet measured (no GPU)", "-", "not yet measured", "-", "-"])
    table = markdown_table(["backend", "product", "N x C x OC", "float32 us", "spread", "int8 us", "spread",
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

        def per_token(m):           # self-timed: decode_tokens_per_second times the decode steps, not the prefill
            return lambda: 1 / decode_tokens_per_second(m, n_tokens, prompt)[0]
        t = interleaved({"float32": per_token(model), "int8": per_token(q8)}, max(1, repeats // 3), min_time=0,
                        self_timed={"float32", "int8"})                          # seconds per token
        f, q = t["float32"], t["int8"]
        rows.append([name, f"{1 / f.median:.4g}", f.spread_text(), f"{1 / q.median:.4g}", q.spread_text(),
                     f"{f.median / q.median:.2f}x"])
    if "cuda" not in available(["cuda"]):
        rows.append(["cuda", "not yet measured (no GPU)", "-", "not yet measured", "-", "-"])
    return markdown_table(["backend", "float32 tokens/s", "spread", "int8 tokens/s", "spread", "int8 / float32"], rows)


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
        t = interleaved({"full": synced(step(full), be), "lora": synced(step(lora), be)}, max(1, repeats // 3),
                        min_time=0, clock=CLOCK)
        f, lo = t["full"], t["lora"]
        rows.append([name, f"{full.num_params:,}", *cells(f), f"{lora.num_trainable:,}", *cells(lo),
                     f"{f.median / lo.median:.2f}x"])
    if "cuda" not in available(["cuda"]):
        rows.append(["cuda", "-", "not yet measured (no GPU)", "-", "-", "not yet measured", "-", "-"])
    return markdown_table(["backend", "full: trainable", f"full: ms / step (B {B}, T {T})", "spread",
                           "LoRA r=8: trainable", "LoRA: ms / step", "spread", "LoRA speed-up"], rows)


def main():
    from pystory.c.int8 import simd_path
    repeats = ARGS.repeats
    where = preamble(ARGS.keep_blas_env, note=False)      # (may re-execute this script without a forced BLAS kernel)
    where += (f"\n{ARGS.threads} thread(s); int8 dot product: {simd_path()}; "
              + ("CPU seconds of this process (--cpu-time)" if ARGS.cpu_time else "wall time")
              + "; decoding: wall time of the decode steps")
    print(where, flush=True)
    linear, plot = bench_linear(repeats)
    print("\n## linear: float32 against int8\n\n" + linear, flush=True)
    decode = bench_decode(repeats)
    print("\n## decoding the shipped model (greedy, KV cache, B = 1)\n\n" + decode, flush=True)
    finetune = bench_finetune(repeats)
    print("\n## one fine-tuning step\n\n" + finetune, flush=True)
    print("\n" + SPREAD_NOTE)
    text = (f"`python chapters/07_product/bench.py --threads {ARGS.threads}`, {repeats} repeats:\n\n{where}\n"
            f"load average at the end {os.getloadavg()[0]:.1f}\n\n### linear\n\n{linear}\n\n"
            f"### decoding\n\n{decode}\n\n### fine-tuning step\n\n{finetune}\n\n{SPREAD_NOTE}\n")
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
