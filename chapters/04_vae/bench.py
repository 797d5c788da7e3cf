"""Chapter 04 benchmark: the GRU over a sequence (forward + backward), and VAE training speed.

    python chapters/04_vae/bench.py                     (B 64, T 32, I 128, H 256; ~2 minutes)
    python chapters/04_vae/bench.py --small             (a quick look)
    python chapters/04_vae/bench.py --refresh-figures   (write chapters/04_vae/figures/)

GRU: one forward + backward of a whole sequence (gru_forward, then gru_backward
with a random upstream gradient), on numpy and c, against torch.nn.GRU on the
CPU at the same thread count (forward, then autograd's backward), and on a GPU
the three cuda versions against cuDNN (torch.nn.GRU on CUDA). Every
implementation runs once per round, rounds repeated, so slow phases of a
shared machine hit all of them alike; the table gives the median and the
spread (min - max) and ratios of medians. torch runs in a child process that
times one call whenever the parent asks: torch brings its own OpenMP runtime,
whose spinning worker threads slow our C code several times over when both
live in one process (measured: 2,070 -> 406 VAE tokens/s). VAE: training tokens per second of
the `small` model (B = 64 storyworld sentences) on each backend.

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
from pystory.bench import add_output_args, available, machine, markdown_table, output_dir, save_figure, sync  # noqa: E402,E501


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


def torch_worker(device, B, T, I, H):
    """The child: build torch.nn.GRU, then time one forward + backward per line read from stdin."""
    import torch
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count()))
    args, dout = gru_inputs(B, T, I, H)
    fn = torch_gru(torch, args, dout, device)
    print("ready", flush=True)
    for _ in sys.stdin:
        t0 = time.perf_counter()
        fn()
        print(time.perf_counter() - t0, flush=True)


def remote(device, B, T, I, H):
    """fn() asking a torch child process to run once; returns the child's own timing."""
    import subprocess
    child = subprocess.Popen([sys.executable, __file__, "--torch-worker", device, str(B), str(T), str(I), str(H)],
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


PAUSE = 0.3   # seconds between two timed calls (see interleaved)


def interleaved(fns, rounds, warmup=1):
    """{name: [seconds per round]}: every fn once per round, in the same order.

    A pause before each call lets the previous one's idle worker threads go to
    sleep: OpenBLAS (numpy) and torch's OpenMP keep theirs spinning for a while
    after a call, and those spinners would otherwise take half of the cores
    from whatever is timed next (measured here: c at 214 ms instead of ~90)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(PAUSE)
            t0 = time.perf_counter()
            own = fn()                              # a remote fn returns the child's own timing
            times[name].append(own if own is not None else time.perf_counter() - t0)
    return times


def vae_rate(be, steps, B=64):
    """Training tokens/s of the `small` VAE on storyworld sentences (median of the steps after a warm-up)."""
    from pystory.data.sentences import SentenceBatches, load_splits
    from pystory.tokenizer import load_tokenizer
    from pystory.vae import PRESETS, VAE, VAEConfig
    tok = load_tokenizer(os.path.join(ROOT, "pystory", "models", "vae.bpe"))
    sents = load_splits(tok, n_stories=300, seed=0)["train"]
    model = VAE(VAEConfig(vocab_size=tok.vocab_size, **PRESETS["small"]), be).init_weights(0)
    loader = SentenceBatches(sents, B, seed=0)
    rates = []
    for step in range(1, steps + 2):
        batch = loader.next_batch()
        t0 = time.perf_counter()
        model.forward(batch, seed=0, offset=step << 32, word_dropout=0.2)
        model.zero_grad()
        model.backward(beta=1.0, free_bits=0.15)
        be.clip_grad_norm(model.grads, 5.0)
        model.update(1e-3, step)
        sync(be)
        if step > 1:
            rates.append(int(batch["dec_len"].sum()) / (time.perf_counter() - t0))
    return rates


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="B 8, T 8, I 32, H 64, fewer rounds")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--vae-steps", type=int, default=8)
    add_output_args(ap)
    ap.add_argument("--torch-worker", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.torch_worker:
        device, *sizes = args.torch_worker
        return torch_worker(device, *map(int, sizes))
    B, T, I, H = (8, 8, 32, 64) if args.small else (64, 32, 128, 256)
    rounds = 3 if args.small else args.rounds
    import importlib.util
    has_torch = importlib.util.find_spec("torch") is not None    # never imported here (see the doc)
    load = os.getloadavg()[0]
    print(f"GRU B={B} T={T} I={I} H={H}, forward + backward; {machine()}; load {load:.1f}", flush=True)
    gru_args, dout = gru_inputs(B, T, I, H)
    backends = available(["numpy", "c", "cuda"])
    fns = {name: ours(pystory.backend(name), gru_args, dout) for name in ("numpy", "c") if name in backends}
    if has_torch:
        fns["torch.nn.GRU (cpu)"] = remote("cpu", B, T, I, H)
    if "cuda" in backends:
        for v in ("steps", "fused", "persistent"):
            fns[f"cuda {v}"] = ours(pystory.backend("cuda"), gru_args, dout, v)
        if has_torch:
            fns["torch.nn.GRU (cuDNN)"] = remote("cuda", B, T, I, H)
    times = interleaved(fns, rounds)
    for fn in fns.values():
        if hasattr(fn, "child"):
            fn.child.stdin.close()
            fn.child.wait()
    med = {k: float(np.median(v)) for k, v in times.items()}
    base = med.get("torch.nn.GRU (cpu)")
    rows = []
    for name, t in times.items():
        m = med[name]
        rows.append([name, f"{m * 1e3:.2f}", f"{min(t) * 1e3:.2f} - {max(t) * 1e3:.2f}",
                     f"{base / m:.2f}x" if base else "-"])
    if "cuda" not in backends:
        rows += [["cuda steps / fused / persistent", "not yet measured (no GPU)", "-", "-"],
                 ["torch.nn.GRU (cuDNN)", "not yet measured (no GPU)", "-", "-"]]
    if not has_torch:
        rows.append(["torch.nn.GRU (cpu)", "torch not installed", "-", "-"])
    gru_table = markdown_table(["GRU implementation", "median ms", "spread ms (min - max)", "speed vs torch cpu"],
                               rows)
    print(gru_table, flush=True)

    vrows, vrates = [], {}
    for name in ("numpy", "c", "cuda"):
        if name not in backends:
            vrows.append([name, "not yet measured (no GPU)", "-"])
            continue
        r = vae_rate(pystory.backend(name), 2 if args.small else args.vae_steps)
        vrates[name] = float(np.median(r))
        vrows.append([name, f"{np.median(r):,.0f}", f"{min(r):,.0f} - {max(r):,.0f}"])
        print(f"vae {name}: {np.median(r):,.0f} tok/s", flush=True)
    vae_table = markdown_table(["VAE training, backend", "median tokens/s", "spread"], vrows)
    print(vae_table)

    figs = output_dir(HERE, args.refresh_figures)
    from pystory.atomic import write_text_atomic
    write_text_atomic(os.path.join(figs, "bench.md"),
                      f"`python chapters/04_vae/bench.py{' --small' if args.small else ''}` — GRU B={B} T={T} "
                      f"I={I} H={H}, {rounds} interleaved rounds; {machine()}; load average {load:.1f} at the "
                      f"start\n\n{gru_table}\n\nVAE `small` (E 64, H 192, Z 32, V 2048), B = 64 sentences:\n\n"
                      f"{vae_table}\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    names = list(med)
    axes[0].barh(names, [med[n] * 1e3 for n in names],
                 xerr=[[(med[n] - min(times[n])) * 1e3 for n in names], [(max(times[n]) - med[n]) * 1e3 for n in names]])
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
