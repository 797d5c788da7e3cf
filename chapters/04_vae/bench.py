"""Chapter 04 benchmark: the GRU over a sequence (forward + backward), and VAE training speed.

    python chapters/04_vae/bench.py                     (B 64, T 32, I 128, H 256; ~2 minutes)
    python chapters/04_vae/bench.py --small             (a quick look)
    python chapters/04_vae/bench.py --refresh-figures   (write chapters/04_vae/figures/)

GRU: one forward + backward of a whole sequence (gru_forward, then gru_backward
with a random upstream gradient), on numpy and c, against torch.nn.GRU on the
CPU at the same thread count (forward, then autograd's backward), and on a GPU
the three cuda versions against cuDNN (torch.nn.GRU on CUDA). VAE: training
tokens per second of the `small` model (B = 64 storyworld sentences) on each
backend.

Method (issue 15, pystory/bench.py, as every chapter's bench): the
implementations take turns (A B C, A B C, ...) after a warm-up, --repeat
rounds (default 9); the tables give the median, the spread (slowest -
fastest) / median with `!` past 20 %, and ratios of medians; the preamble
names the machine, its load and NumPy's BLAS kernel. Two things are this
bench's own. A pause of 0.3 s before each timed call lets the previous
call's spinning BLAS / OpenMP worker threads go to sleep. And torch runs in
a child process that times one call whenever the parent asks and reports
that time: torch brings its own OpenMP runtime, whose spinning worker
threads slow our C code several times over when both live in one process
(measured: 2,070 -> 406 VAE tokens/s).

The emu backend is never timed (it is a correctness tool). Rows without their
tool (no torch, no GPU) say so.
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

import pystory  # noqa: E402
from pystory.bench import (SPREAD_NOTE, add_bench_args, available, cells, clock_of, interleaved,  # noqa: E402
                           markdown_table, output_dir, preamble, save_figure, sync, write_text)


def gru_inputs(B, T, I, H, seed=0):
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(H)
    u = lambda *s: rng.uniform(-k, k, s).astype(np.float32)  # noqa: E731
    x = rng.standard_normal((B, T, I)).astype(np.float32)
    return (x, u(B, H), u(3 * H, I), u(3 * H, H), u(3 * H), u(3 * H)), rng.standard_normal((B, T, H)).astype(np.float32)


def ours(be, args, dout, version=None):
    """fn() running one forward + backward on backend `be`."""
    args = [be.asarray(a) for a in args]
    dout = be.asarray(dout)
    kw = {} if version is None else {"version": version}

    def fn():
        _, cache = be.gru_forward(*args, **kw)
        be.gru_backward(dout, cache, **kw)
        sync(be)
    return fn


def torch_worker(device, B, T, I, H, clock="wall"):
    """The child: build torch.nn.GRU, then time one forward + backward per line read from stdin
    (`clock` "cpu": this process's CPU seconds, as the parent's --cpu-time)."""
    import torch
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count()))
    args, dout = gru_inputs(B, T, I, H)
    fn = torch_gru(torch, args, dout, device)
    now = time.process_time if clock == "cpu" else time.perf_counter
    print("ready", flush=True)
    for _ in sys.stdin:
        t0 = now()
        fn()
        print(now() - t0, flush=True)


def remote(device, B, T, I, H, clock="wall"):
    """fn() asking a torch child process to run once; returns the child's own timing (self-timed)."""
    import subprocess
    child = subprocess.Popen([sys.executable, __file__, "--torch-worker", device, str(B), str(T), str(I), str(H),
                              clock],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if child.stdout.readline().strip() != "ready":
        raise SystemExit(f"bench: the torch worker ({device}) did not start")

    def fn():
        child.stdin.write("run\n")
        child.stdin.flush()
        return float(child.stdout.readline())
    fn.child = child
    return fn


def torch_gru(torch, args, dout, device):
    x, h0, w_ih, w_hh, b_ih, b_hh = args
    m = torch.nn.GRU(x.shape[2], h0.shape[1], batch_first=True).to(device)
    with torch.no_grad():
        for p, v in ((m.weight_ih_l0, w_ih), (m.weight_hh_l0, w_hh), (m.bias_ih_l0, b_ih), (m.bias_hh_l0, b_hh)):
            p.copy_(torch.tensor(v))
    tx = torch.tensor(x, device=device, requires_grad=True)
    th = torch.tensor(h0, device=device)[None].requires_grad_()
    td = torch.tensor(dout, device=device)

    def fn():
        out, _ = m(tx, th)
        out.backward(td)
        if device == "cuda":
            torch.cuda.synchronize()
    return fn


PAUSE = 0.3   # seconds slept before each timed call: the previous call's spinning worker threads
              # (OpenBLAS for numpy, torch's OpenMP) go to sleep first; else they take half of the
              # cores from whatever is timed next (measured here: c at 214 ms instead of ~90)


def vae_step(be, clock, B=64):
    """fn() running one training step of the `small` VAE on storyworld sentences; it returns its own
    seconds per decoded token (the next batch is fetched before the clock starts)."""
    from pystory.data.sentences import SentenceBatches, load_splits
    from pystory.tokenizer import load_tokenizer
    from pystory.vae import PRESETS, VAE, VAEConfig
    tok = load_tokenizer(os.path.join(ROOT, "pystory", "models", "vae.bpe"))
    sents = load_splits(tok, n_stories=300, seed=0)["train"]
    model = VAE(VAEConfig(vocab_size=tok.vocab_size, **PRESETS["small"]), be).init_weights(0)
    loader = SentenceBatches(sents, B, seed=0)        # the same batches on every backend
    step = [0]

    def fn():
        step[0] += 1
        batch = loader.next_batch()
        t0 = clock()
        model.forward(batch, seed=0, offset=step[0] << 32, word_dropout=0.2)
        model.zero_grad()
        model.backward(beta=1.0, free_bits=0.15)
        be.clip_grad_norm(model.grads, 5.0)
        model.update(1e-3, step[0])
        sync(be)
        return (clock() - t0) / int(batch["dec_len"].sum())
    return fn


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="B 8, T 8, I 32, H 64, 3 rounds and 2 VAE steps")
    add_bench_args(ap, repeat=None)
    ap.add_argument("--rounds", dest="repeat", type=int, default=argparse.SUPPRESS,
                    help="the same as --repeat (default 9; --small: 3)")
    ap.add_argument("--vae-steps", type=int, help="timed VAE steps per backend after the warm-up (default 8)")
    ap.add_argument("--torch-worker", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.torch_worker:
        device, *sizes, clock = args.torch_worker
        return torch_worker(device, *map(int, sizes), clock)
    B, T, I, H = (8, 8, 32, 64) if args.small else (64, 32, 128, 256)
    rounds = args.repeat or (3 if args.small else 9)
    vae_steps = args.vae_steps or (2 if args.small else 8)
    clock, child_clock = clock_of(args), "cpu" if args.cpu_time else "wall"
    import importlib.util
    has_torch = importlib.util.find_spec("torch") is not None    # never imported here (see the doc)
    where = preamble(args.keep_blas_env, note=False)
    print(where, flush=True)
    print(f"GRU B={B} T={T} I={I} H={H}, forward + backward, {rounds} interleaved rounds", flush=True)
    gru_args, dout = gru_inputs(B, T, I, H)
    backends = available(["numpy", "c", "cuda"])
    fns = {name: ours(pystory.backend(name), gru_args, dout) for name in ("numpy", "c") if name in backends}
    if has_torch:
        fns["torch.nn.GRU (cpu)"] = remote("cpu", B, T, I, H, child_clock)
    if "cuda" in backends:
        for v in ("steps", "fused", "persistent"):
            fns[f"cuda {v}"] = ours(pystory.backend("cuda"), gru_args, dout, v)
        if has_torch:
            fns["torch.nn.GRU (cuDNN)"] = remote("cuda", B, T, I, H, child_clock)
    remotes = {name for name, fn in fns.items() if hasattr(fn, "child")}
    times = interleaved(fns, rounds, min_time=0, clock=clock, pause=PAUSE, self_timed=remotes)
    for name in remotes:
        fns[name].child.stdin.close()
        fns[name].child.wait()
    base = times["torch.nn.GRU (cpu)"].median if "torch.nn.GRU (cpu)" in times else None
    rows = [[name, *cells(t), f"{base / t.median:.2f}x" if base else "-"] for name, t in times.items()]
    if "cuda" not in backends:
        rows += [["cuda steps / fused / persistent", "not yet measured (no GPU)", "-", "-"],
                 ["torch.nn.GRU (cuDNN)", "not yet measured (no GPU)", "-", "-"]]
    if not has_torch:
        rows.append(["torch.nn.GRU (cpu)", "torch not installed", "-", "-"])
    gru_table = markdown_table(["GRU implementation", "median ms", "spread", "speed vs torch cpu"], rows)
    print(gru_table, flush=True)

    vfns = {name: vae_step(pystory.backend(name), clock) for name in ("numpy", "c", "cuda") if name in backends}
    vtimes = interleaved(vfns, vae_steps, min_time=0, pause=PAUSE, self_timed=set(vfns))   # s per token
    vrates = {name: 1 / t.median for name, t in vtimes.items()}
    vrows = [[name, f"{vrates[name]:,.0f}", vtimes[name].spread_text()] for name in vtimes]
    if "cuda" not in backends:
        vrows.append(["cuda", "not yet measured (no GPU)", "-"])
    vae_table = markdown_table(["VAE training, backend", "median tokens/s", "spread"], vrows)
    print(f"\nVAE `small`, B = 64 sentences, {vae_steps} interleaved steps per backend after a warm-up")
    print(vae_table)
    print(SPREAD_NOTE)

    figs = output_dir(HERE, args.refresh_figures)
    write_text(os.path.join(figs, "bench.md"),
               f"`python chapters/04_vae/bench.py{' --small' if args.small else ''}` — GRU B={B} T={T} I={I} H={H}, "
               f"{rounds} interleaved rounds\n\n{where}\n\n{gru_table}\n\nVAE `small` (E 64, H 192, Z 32, V 2048), "
               f"B = 64 sentences, {vae_steps} interleaved steps per backend:\n\n{vae_table}\n\n{SPREAD_NOTE}\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    names = list(times)
    med = {n: times[n].median for n in names}
    axes[0].barh(names, [med[n] * 1e3 for n in names],
                 xerr=[[(med[n] - times[n].best) * 1e3 for n in names],
                       [(times[n].samples[-1] - med[n]) * 1e3 for n in names]])
    axes[0].set_xlabel("ms per forward + backward (median, min-max)")
    axes[0].set_title(f"GRU B={B} T={T} I={I} H={H}", fontsize=10)
    axes[1].barh(list(vrates), list(vrates.values()))
    axes[1].set_xlabel("tokens / s")
    axes[1].set_title("VAE training", fontsize=10)
    fig.tight_layout()
    save_figure(fig, os.path.join(figs, "bench.png"))
    print(f"written to {os.path.relpath(figs, ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
