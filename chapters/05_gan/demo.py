"""Chapter 05 demo: soft tokens, a few adversarial steps, diversity, and the discriminator as a judge.

    python chapters/05_gan/demo.py [--quick] [--refresh-figures]     (about a minute on a CPU; --quick: seconds)

1. The Gumbel-softmax on the shipped model's next-token logits after "Once upon a":
   the soft token at temperatures 2, 1, 0.5 and 0.1, and a check of the Gumbel-max
   trick (the argmax of logits + noise is a sample of the softmax).
2. Ten steps (--quick: two) of adversarial training of the shipped model against a new discriminator
   (the progress line of `python -m pystory gan train`).
3. Diversity: Self-BLEU-4 and distinct-2 of 24 openings at temperatures 0.6 and 1.4.
4. Reranking: four candidate stories and the shipped discriminator's scores.

Writes gumbel_temperatures.png to build/figures/05_gan/ (untracked); --refresh-figures
writes the committed copy in chapters/05_gan/figures/ instead. --quick: fewer draws,
two adversarial steps, shorter candidates (a smoke test).
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
from pystory import metrics  # noqa: E402
from pystory.bench import add_output_args, output_dir  # noqa: E402
from pystory.checkpoint import CheckpointError  # noqa: E402
from pystory.atomic import save_figure  # noqa: E402
from pystory.gan import GAN, GANTrainConfig, GANTrainer, sample_openings, story_openings  # noqa: E402
from pystory.gpt_cli import SHIPPED_MODEL, load_model  # noqa: E402
from pystory.rerank import SHIPPED_DISC, load_discriminator, rerank  # noqa: E402


def backend_name():
    try:
        return pystory.backend("c").name
    except pystory.BackendUnavailable:
        return "numpy"


def soft_tokens(model, tok, fig_dir, n=4000):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    be = model.be
    ids = np.asarray(tok.encode("Once upon a"), np.int32)[None, :]
    logits = be.to_numpy(model.forward(be.asarray(ids))[0][0, -1]).astype(np.float32)       # (V,)
    top = np.argsort(-logits)[:8]
    labels = [repr(tok.decode([int(i)]).decode("utf-8", "replace"))[1:-1] for i in top]
    taus = (2.0, 1.0, 0.5, 0.1)
    fig, axes = plt.subplots(1, len(taus), figsize=(13, 3.2), sharey=True)
    print("1. the soft token after 'Once upon a' (largest entries), same noise at every temperature:")
    for ax, tau in zip(axes, taus):
        y, _ = be.gumbel_softmax_forward(be.asarray(logits[None, :]), tau, 7, 0)
        y = be.to_numpy(y)[0]
        ax.bar(range(8), y[top])
        ax.set_xticks(range(8))
        ax.set_xticklabels(labels, rotation=60, fontsize=7)
        ax.set_title(f"tau = {tau}: max {y.max():.2f}", fontsize=9)
        print(f"   tau {tau:>4}: largest entry {y.max():.3f} ({labels[int(np.argmax(y[top]))]!r}), "
              f"entropy {-(y * np.log(y + 1e-30)).sum():.2f} nats")
    axes[0].set_ylabel("y (soft token)")
    fig.suptitle("Gumbel-softmax of the next-token logits after 'Once upon a': small tau -> nearly one-hot",
                 fontsize=10)
    fig.tight_layout()
    path = save_figure(fig, os.path.join(fig_dir, "gumbel_temperatures.png"), dpi=120)
    plt.close(fig)
    # Gumbel-max: argmax(logits + g) ~ softmax(logits)
    hard, _ = be.gumbel_softmax_forward(be.asarray(np.repeat(logits[None, :], n, 0)), 1.0, 3, 0, mode="hard")
    freq = be.to_numpy(hard).mean(axis=0)[top[:3]]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    print(f"   Gumbel-max over {n:,} draws: " + ", ".join(
        f"{labels[i]!r} {freq[i]:.3f} (softmax {p[top[i]]:.3f})" for i in range(3)))
    return path


def adversarial_steps(be, steps=10, B=8):
    from pystory.data.storyworld import generate_stories
    gan, tok = GAN.from_story_model(SHIPPED_MODEL, be)
    T = 24
    real = story_openings(tok, generate_stories(400, seed=9), T)
    tc = GANTrainConfig(steps=steps, batch_size=B, seq_len=T, d_lr=1e-3, d_steps=2, eval_every=0, ckpt_every=0)
    trainer = GANTrainer(gan, real, tc)
    print(f"\n2. {steps} adversarial steps: B={tc.batch_size} openings of {T} tokens, {tc.loss} loss, "
          f"tau from 1 down ({tc.schedule} schedule to 1/{tc.beta_max:g})")
    t0 = time.perf_counter()
    for _ in range(tc.steps):
        r = trainer.train_step()
        if trainer.step % 2 == 0:
            print(f"   step {trainer.step:2d} | D loss {r['d_loss']:.3f} | G loss {r['g_loss']:.3f} | "
                  f"D acc {r['d_acc']:.2f} | tau {r['tau']:.3f}")
    print(f"   ({time.perf_counter() - t0:.0f} s; D accuracy over {B} pairs is noisy: the 300-step runs of the "
          f"README, figures/gan_curves_*.png, show where it goes)")


def diversity(model, tok, n=24):
    print(f"\n3. diversity of {n} openings of 48 tokens (Self-BLEU-4: lower is more varied):")
    for temp in (0.6, 1.4):
        texts = sample_openings(model, tok, n, 48, seed=1, temperature=temp, batch=n)
        print(f"   temperature {temp}: Self-BLEU-4 {metrics.self_bleu(texts, 4):.3f}, "
              f"distinct-2 {metrics.distinct_n(texts, 2):.3f}   e.g. {texts[0][:70]!r}")


def reranking(model, tok, max_tokens=1000):
    retrain = "train one with `python -m pystory gan disc-train --ship pystory/models/disc.ckpt`"
    if not os.path.exists(SHIPPED_DISC):
        print(f"\n4. (no shipped discriminator: {retrain})")
        return
    try:
        D, _ = load_discriminator(SHIPPED_DISC, model.be.name, tok)
    except CheckpointError as e:                   # trained for another story model (another tokenizer)
        print(f"\n4. (the shipped discriminator does not fit the shipped story model: {e})")
        return
    prompt = tok.encode("Once upon a time")
    best, i, cands, scores = rerank(model, tok, D, prompt, 4, 21, max_tokens)   # as `story`: up to 1000 tokens
    print("\n4. four candidates (seeds 21..24) and the discriminator's scores (> 0: looks real):")
    for k, (c, s) in enumerate(zip(cands, scores)):
        text = tok.decode(c).decode("utf-8", "replace").replace("\n", " ")
        print(f"   {'*' if k == i else ' '} {s:+.2f}  Once upon a time{text[:90]}...")
    print(f"   python -m pystory story --rerank 4 --seed 21{'' if max_tokens == 1000 else f' --max-tokens {max_tokens}'}"
          f" prints the starred one")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a smoke test in seconds (fewer, shorter samples)")
    add_output_args(p)
    args = p.parse_args()
    fig_dir = output_dir(HERE, args.refresh_figures)
    name = backend_name()
    model, tok, _ = load_model(SHIPPED_MODEL, name)
    path = soft_tokens(model, tok, fig_dir, 1000 if args.quick else 4000)
    adversarial_steps(pystory.backend(name), *((2, 4) if args.quick else (10, 8)))
    diversity(model, tok, 8 if args.quick else 24)
    reranking(model, tok, 40 if args.quick else 1000)
    print(f"\nfigure: {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
