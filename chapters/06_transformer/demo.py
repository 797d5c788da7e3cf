"""Chapter 06 demo: the shipped story model — its loss curve, where it looks, and how temperature changes it.

    python chapters/06_transformer/demo.py            (about a minute on a CPU; --quick: seconds)

Writes to build/figures/06_transformer/ (untracked; --refresh-figures writes the
committed copies in chapters/06_transformer/figures/):
    loss_curve.png        training and validation loss of the shipped model
    attention_maps.png    every head of the first and last layer, on the start of a story
    temperatures.md       samples at temperatures 0.3, 0.8 and 1.3, same seed
"""
import argparse
import os
import sys
import textwrap

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import pystory  # noqa: E402
from pystory.attention import attention_forward_naive  # noqa: E402
from pystory.bench import add_output_args, output_dir, save_figure, write_text  # noqa: E402
from pystory.gpt_cli import SHIPPED_MODEL, load_model  # noqa: E402
from pystory.sample import Sampler, generate  # noqa: E402
from pystory.train import first_step_of  # noqa: E402

STORY = ("Once upon a time, there was a little girl named Mia. She loved to play in the park. "
         "One day, Mia saw a big red ball.")


def loss_curve(ck, plt, FIG):
    h = ck.train_state.get("history", {})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(h.get("step", []), h.get("loss", []), lw=0.7, alpha=0.7, label="train (one batch)")
    ax.plot(h.get("val_step", []), h.get("val_loss", []), "o-", label="validation")
    first = first_step_of(ck)
    if first > 0:                                  # a run started from another model's weights (train --init)
        ax.axvline(first, color="grey", ls="--", lw=0.8, label=f"new learning-rate schedule (step {first})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("the shipped model learning storyworld")
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "loss_curve.png"), dpi=120)
    plt.close(fig)
    if h.get("val_loss"):
        print(f"loss curve: {len(h['step'])} steps, final validation loss {h['val_loss'][-1]:.3f} nats/token")


def attention_maps(model, tok, plt, FIG):
    # Run the trained model on the numpy backend and recompute each layer's attention
    # probabilities with the naive op (it keeps the (T, T) matrix the flash op never stores).
    ids = np.asarray(tok.encode(STORY), np.int32)[None, :80]        # (1, T)
    model.forward(ids)
    labels = [tok.decode([i]).decode("utf-8", "replace") for i in ids[0]]
    layers = [0, model.cfg.n_layer - 1]
    NH = model.cfg.n_head
    fig, axes = plt.subplots(len(layers), NH, figsize=(3.2 * NH, 3.4 * len(layers)))
    for r, l in enumerate(layers):
        _, (_, _, att) = attention_forward_naive(model.acts["layers"][l]["qkv"], NH)   # (1, NH, T, T)
        for h in range(NH):
            ax = axes[r, h]
            ax.imshow(att[0, h] ** 0.5, cmap="viridis")     # sqrt: small weights stay visible
            ax.set_title(f"layer {l}, head {h}", fontsize=9)
            ticks = range(0, len(labels), 8)
            ax.set_xticks(list(ticks))
            ax.set_xticklabels([repr(labels[i])[1:-1] for i in ticks], fontsize=6)
            ax.set_yticks([])
    fig.suptitle("where each position looks (rows: queries, columns: keys), on: " + STORY[:40] + "...",
                 fontsize=9)
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "attention_maps.png"), dpi=110)
    plt.close(fig)
    print("attention maps: written (look for heads that average over the whole past, heads that stay"
          " near the diagonal, and last-layer heads that pick out a few earlier positions)")


def temperatures(model, tok, FIG, n_tokens=400):
    lines = [f"Samples of the shipped model, prompt \"Once upon a time\", seed 1, {model.be.name} backend.", ""]
    for temp in (0.3, 0.8, 1.3):
        ids = list(generate(model, tok.encode("Once upon a time"), n_tokens, Sampler(temp, seed=1),
                            eot_id=tok.eot_id))
        text = "Once upon a time" + tok.decode(ids).decode("utf-8", "replace")
        lines += [f"### temperature {temp}", "", "> " + "\n> ".join(textwrap.wrap(text, 100)), ""]
        print(f"\n--- temperature {temp} ---\n{text[:400]}")
    write_text(os.path.join(FIG, "temperatures.md"), "\n".join(lines))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="40-token samples (a few seconds)")
    args = add_output_args(p).parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    FIG = output_dir(HERE, args.refresh_figures)
    if not os.path.exists(SHIPPED_MODEL):
        sys.exit(f"no shipped model at {SHIPPED_MODEL}; train one with `python -m pystory train --ship ...`")
    model, tok, ck = load_model(SHIPPED_MODEL, "numpy")
    print(f"shipped model: {model.num_params:,} parameters, {ck.config}, step {ck.step}")
    loss_curve(ck, plt, FIG)
    attention_maps(model, tok, plt, FIG)
    try:
        backend = pystory.backend("c").name
    except pystory.BackendUnavailable:
        backend = "numpy"
    temperatures(load_model(SHIPPED_MODEL, backend)[0], tok, FIG, 40 if args.quick else 400)
    print(f"\nfigures in {FIG}")


if __name__ == "__main__":
    main()
