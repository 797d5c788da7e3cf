"""Chapter 06 benchmark: GPT training and generation speed, numpy vs c vs cuda vs PyTorch.

    python chapters/06_transformer/bench.py              (the 4M-parameter config, 5 steps each)
    python chapters/06_transformer/bench.py --small      (a quick run)

Training: tokens per second of one full step (forward, backward, AdamW) of
the same model (V 4096, C 256, L 4, NH 4, T 256, B 16: about 4M parameters)
on each backend, and on PyTorch eager (CPU, same thread count) when installed.
Generation: tokens per second of incremental decoding with the KV cache, one
thread, B = 1 (what `make story` does), against PyTorch's eager model with the
same cache. Ratios are against PyTorch CPU in the same run: the implementations
take turns, one step (or one decode of --decode tokens) each per round, after a
warm-up round; the median and the spread are reported (pystory/bench.py). The
emu backend is never timed; cuda only when a GPU is present.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import pystory  # noqa: E402
from pystory.bench import (add_bench_args, available, figure_path, interleaved, markdown_table,  # noqa: E402
                           preamble, save_figure, write_text)
from pystory.gpt import GPT, GPTConfig  # noqa: E402


def train_step(be, cfg, B):
    """A closure that runs one full training step (forward, backward, clip, AdamW) on backend `be`."""
    model = GPT(cfg, be).init_weights(0)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, cfg.vocab_size, (B, cfg.block_size + 1)).astype(np.int32)
    x, y = be.asarray(ids[:, :-1]), be.asarray(ids[:, 1:])
    step = [0]

    def run():
        step[0] += 1
        model.forward(x, y)
        model.zero_grad()
        model.backward()
        be.clip_grad_norm(model.grads, 1.0)
        model.update(1e-4, step[0])
        if be.name == "cuda":
            import cupy
            cupy.cuda.Device().synchronize()
    return run


def decode(be, cfg, n):
    """A closure that decodes n tokens with the KV cache, B = 1, greedy, after a 1-token prompt."""
    model = GPT(cfg, be).init_weights(0)

    def run():
        kv = model.new_kv_cache(1)
        model.forward(be.asarray(np.zeros((1, 1), np.int32)), kv=kv)
        tok = np.zeros(1, np.int32)
        for _ in range(n):
            logits = be.to_numpy(model.decode_step(be.asarray(tok), kv))
            tok = np.array([int(np.argmax(logits))], np.int32)
    return run


# --- the same GPT in PyTorch (eager), our weights ---------------------------------------------------

def torch_model(torch, model):
    cfg = model.cfg
    C, NH, L = cfg.n_embd, cfg.n_head, cfg.n_layer
    F = torch.nn.functional
    p = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in model.p.items()}

    def forward(x, kv=None, pos=0):
        B, T = x.shape
        h = p["wte"][x] + p["wpe"][pos:pos + T]
        for l in range(L):
            a = F.layer_norm(h, (C,), p["ln1w"][l], p["ln1b"][l])
            q, k, v = (a @ p["qkvw"][l].T + p["qkvb"][l]).split(C, dim=2)
            q, k, v = (t.view(B, T, NH, C // NH).transpose(1, 2) for t in (q, k, v))
            if kv is not None:                      # incremental: append to the cache, attend to all of it
                kv[l] = (torch.cat([kv[l][0], k], 2), torch.cat([kv[l][1], v], 2)) if kv[l] else (k, v)
                k, v = kv[l]
            a = F.scaled_dot_product_attention(q, k, v, is_causal=kv is None or T > 1)
            h = h + a.transpose(1, 2).reshape(B, T, C) @ p["attprojw"][l].T + p["attprojb"][l]
            a = F.layer_norm(h, (C,), p["ln2w"][l], p["ln2b"][l])
            h = h + F.gelu(a @ p["fcw"][l].T + p["fcb"][l], approximate="tanh") @ p["fcprojw"][l].T + p["fcprojb"][l]
        return F.layer_norm(h, (C,), p["lnfw"], p["lnfb"]) @ p["wte"].T
    return p, forward


def torch_train_step(torch, cfg, B):
    model = GPT(cfg, pystory.backend("numpy")).init_weights(0)
    p, forward = torch_model(torch, model)
    opt = torch.optim.AdamW(list(p.values()), lr=1e-4, betas=(0.9, 0.95))
    rng = np.random.default_rng(0)
    ids = torch.tensor(rng.integers(0, cfg.vocab_size, (B, cfg.block_size + 1)), dtype=torch.long)
    x, y = ids[:, :-1], ids[:, 1:]

    def run():
        loss = torch.nn.functional.cross_entropy(forward(x).reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
    return run


def torch_decode(torch, cfg, n):
    model = GPT(cfg, pystory.backend("numpy")).init_weights(0)
    _, forward = torch_model(torch, model)

    def run():
        with torch.no_grad():
            kv = [None] * cfg.n_layer
            tok = torch.zeros((1, 1), dtype=torch.long)
            forward(tok, kv, 0)
            for i in range(n):
                logits = forward(tok, kv, i + 1)
                tok = logits[:, -1].argmax(-1, keepdim=True)
    return run


def rate_rows(task, times, per_call, base_label):
    """Table rows: tokens/s from the median, the spread, and the ratio to `base_label` (PyTorch)."""
    base = times.get(base_label)
    rows = []
    for name, t in times.items():
        ratio = f"{base.median / t.median:.2f}x" if base else "-"
        rows.append([task, name, f"{per_call / t.median:,.0f}", t.spread_text(), ratio])
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="a small model, for a quick look")
    ap.add_argument("--steps", type=int, default=5,
                    help="timed training steps per implementation (after one warm-up), interleaved")
    ap.add_argument("--decode", type=int, default=200, help="tokens generated for the decode rate")
    ap.add_argument("--decode-only", action="store_true", help=argparse.SUPPRESS)
    args = add_bench_args(ap).parse_args(argv)
    if args.small:
        cfg, B = GPTConfig(vocab_size=512, block_size=64, n_layer=2, n_head=2, n_embd=64), 8
    else:
        cfg, B = GPTConfig(vocab_size=4096, block_size=256, n_layer=4, n_head=4, n_embd=256), 16
    threads = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count())
    try:
        import torch
        torch.set_num_threads(int(threads))
    except ImportError:
        torch = None
    if args.decode_only:
        import json
        fns = {"c (KV cache)": decode(pystory.backend("c"), cfg, args.decode)}
        if torch is not None:
            fns["pytorch (cpu, KV cache)"] = torch_decode(torch, cfg, args.decode)
        times = interleaved(fns, args.repeat, min_time=0)
        print(json.dumps({k: t.samples for k, t in times.items()}))
        return 0
    where = preamble(args.keep_blas_env)
    n_params = GPT(cfg, pystory.backend("numpy")).num_params
    print(f"GPT {cfg}: {n_params:,} parameters, B={B}\n{where}")

    fns = {name: train_step(pystory.backend(name), cfg, B) for name in available(["numpy", "c", "cuda"])}
    if torch is not None:
        fns["pytorch (cpu)"] = torch_train_step(torch, cfg, B)
    times = interleaved(fns, args.steps, min_time=0)      # A B C, A B C, ...: one step each per round
    for name, t in times.items():
        print(f"train {name:14s} {B * cfg.block_size / t.median:10,.0f} tok/s  (spread {t.spread_text()})", flush=True)
    rows = rate_rows("training", times, B * cfg.block_size, "pytorch (cpu)")
    if "cuda" not in times:
        rows.append(["training", "cuda", "not yet measured (no GPU)", "-", "-"])

    # generation: one thread for both, B = 1. OpenMP reads OMP_NUM_THREADS when the
    # extension loads, so the decode runs in a child process started with it set to 1.
    import json
    import subprocess
    from pystory.bench import Timing
    env = dict(os.environ, OMP_NUM_THREADS="1")
    child = subprocess.run([sys.executable, __file__, "--decode-only", "--decode", str(args.decode),
                            "--repeat", str(args.repeat)] + (["--small"] if args.small else []),
                           env=env, capture_output=True, text=True)
    if child.returncode:
        sys.exit(child.stderr)
    dtimes = {k: Timing(v) for k, v in json.loads(child.stdout.strip().splitlines()[-1]).items()}
    drates = {}
    for name, t in dtimes.items():
        drates[name] = args.decode / t.median
        print(f"decode {name:28s} {drates[name]:10,.0f} tok/s  (spread {t.spread_text()})", flush=True)
    rows += rate_rows("generation (1 thread)", dtimes, args.decode, "pytorch (cpu, KV cache)")
    rates = {name: B * cfg.block_size / t.median for name, t in times.items()}

    table = markdown_table(["task", "implementation", "tokens/s (median)", "spread", "vs PyTorch"], rows)
    print()
    print(table)
    write_text(figure_path(HERE, "bench_gpt.md", args.refresh_figures),
               f"{cfg}, {n_params:,} parameters, B={B}\n\n{where}\n\n{table}\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(9, 3))
        for ax, (title, d) in zip(axes, [("training tokens/s", rates), ("generation tokens/s (1 thread)", drates)]):
            ax.barh(list(d), list(d.values()))
            ax.set_title(title)
        fig.tight_layout()
        save_figure(fig, figure_path(HERE, "bench_gpt.png", args.refresh_figures), dpi=110)
    except ImportError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
