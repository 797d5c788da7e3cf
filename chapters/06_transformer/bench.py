"""Chapter 06 benchmark: GPT training and generation speed, numpy vs c vs cuda vs PyTorch.

    python chapters/06_transformer/bench.py              (the 4M-parameter config, 3 steps)
    python chapters/06_transformer/bench.py --small      (a quick run)

Training: tokens per second of one full step (forward, backward, AdamW) of
the same model (V 4096, C 256, L 4, NH 4, T 256, B 16: about 4M parameters)
on each backend, and on PyTorch eager (CPU, same thread count) when installed.
Generation: tokens per second of incremental decoding with the KV cache, one
thread, B = 1 (what `make story` does), against PyTorch's eager model with the
same cache. Ratios are against PyTorch CPU in the same run. The emu backend is
never timed; cuda only when a GPU is present.
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import pystory  # noqa: E402
from pystory.bench import (add_output_args, available, figure_path, machine, markdown_table,  # noqa: E402
                           save_figure, write_text)
from pystory.gpt import GPT, GPTConfig  # noqa: E402


def train_rate(be, cfg, B, steps):
    """Tokens/s of full training steps on backend `be` (best step after one warm-up)."""
    model = GPT(cfg, be).init_weights(0)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, cfg.vocab_size, (B, cfg.block_size + 1)).astype(np.int32)
    x, y = be.asarray(ids[:, :-1]), be.asarray(ids[:, 1:])
    best = float("inf")
    for step in range(1, steps + 2):
        t0 = time.perf_counter()
        model.forward(x, y)
        model.zero_grad()
        model.backward()
        be.clip_grad_norm(model.grads, 1.0)
        model.update(1e-4, step)
        if be.name == "cuda":
            import cupy
            cupy.cuda.Device().synchronize()
        if step > 1:
            best = min(best, time.perf_counter() - t0)
    return B * cfg.block_size / best


def decode_rate(be, cfg, n):
    """Tokens/s of KV-cached decoding, B = 1, greedy, n tokens after a 1-token prompt."""
    model = GPT(cfg, be).init_weights(0)
    kv = model.new_kv_cache(1)
    model.forward(be.asarray(np.zeros((1, 1), np.int32)), kv=kv)
    tok = np.zeros(1, np.int32)
    t0 = time.perf_counter()
    for _ in range(n):
        logits = be.to_numpy(model.decode_step(be.asarray(tok), kv))
        tok = np.array([int(np.argmax(logits))], np.int32)
    return n / (time.perf_counter() - t0)


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


def torch_train_rate(torch, cfg, B, steps):
    model = GPT(cfg, pystory.backend("numpy")).init_weights(0)
    p, forward = torch_model(torch, model)
    opt = torch.optim.AdamW(list(p.values()), lr=1e-4, betas=(0.9, 0.95))
    rng = np.random.default_rng(0)
    ids = torch.tensor(rng.integers(0, cfg.vocab_size, (B, cfg.block_size + 1)), dtype=torch.long)
    x, y = ids[:, :-1], ids[:, 1:]
    best = float("inf")
    for step in range(steps + 1):
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(forward(x).reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
        if step > 0:
            best = min(best, time.perf_counter() - t0)
    return B * cfg.block_size / best


def torch_decode_rate(torch, cfg, n):
    model = GPT(cfg, pystory.backend("numpy")).init_weights(0)
    _, forward = torch_model(torch, model)
    with torch.no_grad():
        kv = [None] * cfg.n_layer
        tok = torch.zeros((1, 1), dtype=torch.long)
        forward(tok, kv, 0)
        t0 = time.perf_counter()
        for i in range(n):
            logits = forward(tok, kv, i + 1)
            tok = logits[:, -1].argmax(-1, keepdim=True)
        return n / (time.perf_counter() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="a small model, for a quick look")
    ap.add_argument("--steps", type=int, default=2, help="timed training steps per backend (after one warm-up)")
    ap.add_argument("--decode", type=int, default=200, help="tokens generated for the decode rate")
    ap.add_argument("--decode-only", action="store_true", help=argparse.SUPPRESS)
    args = add_output_args(ap).parse_args(argv)
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
        drates = {"c (KV cache)": decode_rate(pystory.backend("c"), cfg, args.decode)}
        if torch is not None:
            drates["pytorch (cpu, KV cache)"] = torch_decode_rate(torch, cfg, args.decode)
        print(json.dumps(drates))
        return 0
    n_params = GPT(cfg, pystory.backend("numpy")).num_params
    print(f"GPT {cfg}: {n_params:,} parameters, B={B}; {machine()}")

    rows, rates = [], {}
    for name in available(["numpy", "c", "cuda"]):
        rates[name] = train_rate(pystory.backend(name), cfg, B, args.steps)
        print(f"train {name:6s} {rates[name]:10,.0f} tok/s", flush=True)
    if torch is not None:
        rates["pytorch (cpu)"] = torch_train_rate(torch, cfg, B, args.steps)
        print(f"train pytorch {rates['pytorch (cpu)']:10,.0f} tok/s", flush=True)
    base = rates.get("pytorch (cpu)")
    for name, r in rates.items():
        rows.append(["training", name, f"{r:,.0f}", f"{r / base:.2f}x" if base else "-"])
    if "cuda" not in rates:
        rows.append(["training", "cuda", "not yet measured (no GPU)", "-"])

    # generation: one thread for both, B = 1. OpenMP reads OMP_NUM_THREADS when the
    # extension loads, so the decode runs in a child process started with it set to 1.
    import json
    import subprocess
    env = dict(os.environ, OMP_NUM_THREADS="1")
    child = subprocess.run([sys.executable, __file__, "--decode-only", "--decode", str(args.decode)]
                           + (["--small"] if args.small else []), env=env, capture_output=True, text=True)
    if child.returncode:
        sys.exit(child.stderr)
    drates = json.loads(child.stdout.strip().splitlines()[-1])
    for name, r in drates.items():
        print(f"decode {name:28s} {r:10,.0f} tok/s", flush=True)
    dbase = drates.get("pytorch (cpu, KV cache)")
    for name, r in drates.items():
        rows.append(["generation (1 thread)", name, f"{r:,.0f}", f"{r / dbase:.2f}x" if dbase else "-"])

    table = markdown_table(["task", "implementation", "tokens/s", "vs PyTorch"], rows)
    print()
    print(table)
    write_text(figure_path(HERE, "bench_gpt.md", args.refresh_figures),
               f"{cfg}, {n_params:,} parameters, B={B}; {machine()}\n\n{table}\n")
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
