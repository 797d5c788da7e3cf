"""Chapter 07 experiments: LoRA against full fine-tuning, and distillation against training alone.

    python chapters/07_product/experiments.py lora       (about 10 minutes on 2 cores)
    python chapters/07_product/experiments.py distill    (about 15 minutes on 2 idle cores)
    python chapters/07_product/experiments.py quant      (per-row against group-wise int8; a few minutes)

Each writes a markdown table and a figure to build/figures/07_product/ (untracked;
the training runs themselves go to runs/ch07/); with --refresh-figures, to
chapters/07_product/figures/ (the committed ones the lesson shows). Every number
in the lesson's tables comes from these runs.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from pystory.bench import add_output_args, machine, markdown_table, output_dir, save_figure, write_text  # noqa: E402
from pystory.cli_args import Int  # noqa: E402


def out_dir(args):
    return output_dir(HERE, args.refresh_figures)


def run(cmd, log):
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    with open(log, "w") as f:
        subprocess.run([sys.executable, "-m", "pystory", *cmd], check=True, stdout=f, stderr=subprocess.STDOUT,
                       cwd=ROOT)
    return time.perf_counter() - t0


def lora(args):
    import pystory
    from pystory.checkpoint import load_checkpoint
    from pystory.data.corpus import write_corpus
    from pystory.gpt_cli import SHIPPED_MODEL, load_model
    from pystory.measure import bits_per_byte_on
    from pystory.styles import space_stories
    work = os.path.join(ROOT, "runs", "ch07", "lora")
    os.makedirs(work, exist_ok=True)
    train = os.path.join(work, "space.txt")
    write_corpus(train, space_stories(args.stories, seed=0))
    held_out = "<|endoftext|>".join(space_stories(100, seed=1)).encode()     # stories never trained on
    old = open(os.path.join(ROOT, "data", "storyworld", "val.txt"), "rb").read()
    common = ["--corpus", train, "--steps", str(args.steps), "--batch-size", "8", "--eval-every", "100",
              "--eval-batches", "5", "--backend", "c"]
    rows, curves = [], {}
    base, tok, _ = load_model(SHIPPED_MODEL, "c")
    rows.append(["shipped model (no fine-tuning)", "-", f"{bits_per_byte_on(base, tok, held_out)[0]:.3f}",
                 f"{bits_per_byte_on(base, tok, old, max_tokens=50_000)[0]:.3f}", "-", "-"])
    for name, extra, ckpt in (("LoRA r=8 (attention + MLP)", ["--lora", "8"], "adapter.lora"),
                              ("full fine-tuning", ["--full"], "model.ckpt")):
        out = os.path.join(work, name.split()[0].lower())
        secs = run(["finetune", *common, *extra, "--out", out], os.path.join(work, name.split()[0] + ".log"))
        model, tok, ck = load_model(os.path.join(out, ckpt), "c")
        trainable = model.num_trainable if hasattr(model, "num_trainable") else model.num_params
        h = ck.train_state["history"]
        curves[name] = (h["step"], h["loss"])
        rows.append([name, f"{trainable:,}", f"{bits_per_byte_on(model, tok, held_out)[0]:.3f}",
                     f"{bits_per_byte_on(model, tok, old, max_tokens=50_000)[0]:.3f}", f"{secs:.0f}",
                     f"{1000 * secs / args.steps:.0f}"])
    headers = ["model", "trainable parameters", "bits/byte, new style (100 held-out space stories)",
               "bits/byte, old style (storyworld val, 50k tokens)", "fine-tuning time (s)", "ms / step"]
    table = markdown_table(headers, rows)
    note = (f"\n\n`python chapters/07_product/experiments.py lora` ({args.steps} steps, B 8, T 256, "
            f"{args.stories} space stories, c backend); {machine()}; load {os.getloadavg()[0]:.1f}.\n")
    d = out_dir(args)
    write_text(os.path.join(d, "lora.md"), table + note)
    plot(curves, os.path.join(d, "lora_curves.png"), "fine-tuning on space stories (train loss)")
    print(table + note)


def distill(args):
    from pystory.gpt_cli import load_model
    from pystory.measure import bits_per_byte_on
    work = os.path.join(ROOT, "runs", "ch07", "distill")
    os.makedirs(work, exist_ok=True)
    common = ["--steps", str(args.steps), "--backend", "c", "--eval-every", "100", "--batch-size", "4",
              "--eval-batches", "10"]
    rows, curves = [], {}
    val = open(os.path.join(ROOT, "data", "storyworld", "val.txt"), "rb").read()
    for name, extra in (("student, distilled (alpha 0.5, T 2)", ["--alpha", "0.5", "--temperature", "2"]),
                        ("student, data only", ["--alpha", "0"])):
        out = os.path.join(work, "distilled" if "distilled" in name else "data_only")
        secs = run(["distill", *common, *extra, "--out", out], out + ".log")
        model, tok, ck = load_model(os.path.join(out, "model.ckpt"), "c")
        h = ck.train_state["history"]
        curves[name] = (h["val_step"], h["val_bpb"])
        rate = check_pass_rate(model, tok, args.samples)
        rows.append([name, f"{model.num_params:,}", f"{bits_per_byte_on(model, tok, val)[0]:.3f}",
                     f"{rate:.0%}", f"{secs:.0f}"])
    headers = ["model", "parameters", "bits/byte (storyworld val, all)", f"check_story pass ({args.samples} stories)",
               "training time (s)"]
    table = markdown_table(headers, rows)
    note = (f"\n\n`python chapters/07_product/experiments.py distill` ({args.steps} steps each of B 4, T 256, same data order, "
            f"teacher: the shipped model); {machine()}; load {os.getloadavg()[0]:.1f}.\n")
    d = out_dir(args)
    write_text(os.path.join(d, "distill.md"), table + note)
    plot(curves, os.path.join(d, "distill_curves.png"), "students on storyworld (validation bits/byte)",
         ylabel="validation bits / byte")
    print(table + note)


def quant(args):
    """Per-row scales (ours) against runq.c's group-wise scales, and float32: bits/byte on storyworld val."""
    import numpy as np
    import pystory
    from pystory.checkpoint import load_checkpoint, load_tokenizer_of
    from pystory.gpt import GPT, MATRICES
    from pystory.gpt_cli import SHIPPED_MODEL
    from pystory.measure import bits_per_byte_on
    from pystory.quantize import GroupQuantizedGPT, QuantizedGPT, dequantize_params, quantize_groups, quantize_params
    ck = load_checkpoint(SHIPPED_MODEL)
    tok = load_tokenizer_of(ck)
    be = pystory.backend("numpy")
    val = open(os.path.join(ROOT, "data", "storyworld", "val.txt"), "rb").read()
    n_tok = args.tokens
    fm = GPT(ck.config, be)
    fm.load_params(ck.params)
    base = bits_per_byte_on(fm, tok, val, max_tokens=n_tok)[0]
    M = sum(fm.p[n].size for n in MATRICES)
    rows_n = sum(fm.p[n].size // fm.p[n].shape[-1] for n in MATRICES)
    def weight_error(deq):            # ||w - w_hat|| / ||w|| over every matrix
        num = sum(float(np.sum((deq[n] - fm.p[n]) ** 2)) for n in MATRICES)
        return (num / sum(float(np.sum(fm.p[n] ** 2)) for n in MATRICES)) ** 0.5
    rows = [["float32 (the shipped weights)", "-", f"{4 * M:,}", "-", f"{base:.4f}", "-"]]
    sections = quantize_params(ck.params, ck.config)
    dq = GPT(ck.config, be)
    dq.load_params(dequantize_params(sections, ck.config))
    q8 = QuantizedGPT(ck.config, be, sections)
    bpb = bits_per_byte_on(q8, tok, val, max_tokens=n_tok)[0]
    rows.append(["int8, one scale per row (ours)", f"{rows_n:,}", f"{M + 4 * rows_n:,}",
                 f"{weight_error(dq.p):.4f}", f"{bpb:.4f}", f"{100 * (bpb - base) / base:+.2f}%"])
    for G in (128, 64, 32):
        gm = GroupQuantizedGPT(ck.config, be, ck.params, G)
        bpb = bits_per_byte_on(gm, tok, val, max_tokens=n_tok)[0]
        err = weight_error({n: quantize_groups(fm.p[n], G) for n in MATRICES})
        rows.append([f"int8, groups of {G}" + (" (runq.c's choice)" if G == 64 else ""), f"{gm.scale_count():,}",
                     f"{M + 4 * gm.scale_count():,}", f"{err:.4f}", f"{bpb:.4f}", f"{100 * (bpb - base) / base:+.2f}%"])
    headers = ["weights and activations", "scales", "bytes of the matrices", "relative weight error",
               f"bits/byte (val, {n_tok:,} tokens)", "change"]
    table = markdown_table(headers, rows)
    note = (f"\n\n`python chapters/07_product/experiments.py quant --tokens {n_tok}` (shipped model, numpy backend: the same "
            f"arithmetic as the c and cuda ops); {machine()}.\n")
    write_text(os.path.join(out_dir(args), "quant.md"), table + note)
    print(table + note)


def check_pass_rate(model, tok, n):
    from pystory.data.storyworld import check_story
    from pystory.sample import Sampler, generate
    ok = 0
    for seed in range(n):
        ids = list(generate(model, tok.encode("Once upon a time"), 400, Sampler(0.8, seed=seed), eot_id=tok.eot_id))
        text = "Once upon a time" + tok.decode(ids).decode("utf-8", "replace")
        ok += not check_story(text)
    return ok / n


def plot(curves, path, title, ylabel="loss (nats / token)"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, (x, y) in curves.items():
        ax.plot(x, y, label=name, lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("which", choices=["lora", "distill", "quant"])
    p.add_argument("--tokens", type=Int(1), default=190_464, help="quant: validation tokens (190,464: all)")
    p.add_argument("--steps", type=Int(1), default=None, help="training steps (default: lora 300, distill 500)")
    p.add_argument("--stories", type=Int(2), default=400, help="lora: space stories to fine-tune on")
    p.add_argument("--samples", type=Int(1), default=50, help="distill: stories sampled for check_story")
    add_output_args(p)
    args = p.parse_args()
    if args.which == "quant":
        quant(args)
    elif args.which == "lora":
        args.steps = args.steps or 300
        lora(args)
    else:
        args.steps = args.steps or 500
        distill(args)


if __name__ == "__main__":
    main()
