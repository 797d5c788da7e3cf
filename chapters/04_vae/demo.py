"""Chapter 04 demo: what the shipped sentence VAE has learned, in about a minute on a CPU.

    python chapters/04_vae/demo.py                    (figures to build/figures/04_vae/, untracked)
    python chapters/04_vae/demo.py --refresh-figures  (to chapters/04_vae/figures/, the committed ones)
    python chapters/04_vae/demo.py --quick            (fewer points: a few seconds)

It prints and writes:
    samples        sentences decoded from codes z drawn from the prior N(0, I)
    reconstructions  test sentences, encoded to mu and decoded greedily
    homotopies.md  the straight line between the codes of two sentences, decoded (Bowman et al.'s table)
    mu_pca.png     the posterior means of sentences from stories of each storyworld arc, in 2-D (PCA)
    kl_schedules.png  KL and reconstruction during training under each KL schedule (from ablation.json)
"""
import argparse
import json
import os
import sys
import textwrap

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

import pystory  # noqa: E402
from pystory.bench import add_output_args, output_dir, save_figure  # noqa: E402
from pystory.vae_cli import SHIPPED_MODEL, homotopy, load_vae  # noqa: E402

PAIRS = [("Lily went to the park with her mom.", "The little dog was very sad."),
         ("\"Can I play too?\" asked Tom.", "They all lived happily ever after.")]


def text(tok, ids):
    return tok.decode(ids).decode("utf-8", "replace")


def greedy(model, tok, z):
    return [text(tok, ids) for ids in model.greedy_or_sample(np.asarray(z, np.float32), 48, tok.eot_id,
                                                             lambda logits, t: logits.argmax(axis=1))]


def encode(model, tok, sentences):
    from pystory.data.sentences import make_batch
    batch = make_batch([np.asarray(tok.encode(s), np.int32) for s in sentences], tok.eot_id)
    mu, logvar = model.encode(model.be.asarray(batch["enc"]), batch["enc_len"])
    return model.be.to_numpy(mu), model.be.to_numpy(logvar)


def samples(model, tok, n):
    from pystory.philox import philox_normal
    z = philox_normal(4, 0, n * model.cfg.n_latent).reshape(n, -1)
    print("\n--- samples from the prior (z ~ N(0, I), greedy decoding) ---")
    for s in greedy(model, tok, z):
        print("  " + s)


def reconstructions(model, tok, n):
    from pystory.data.sentences import load_splits
    test = load_splits(tok, n_stories=300, seed=0)["test"]
    picks = [test.texts[i] for i in range(0, len(test), max(len(test) // n, 1))][:n]
    mu, _ = encode(model, tok, picks)
    print("\n--- reconstructions (test sentences never seen in training; decoded from mu) ---")
    for src, out in zip(picks, greedy(model, tok, mu)):
        print(f"  in:  {src}\n  out: {out}")


def homotopies(model, tok, figs, steps):
    lines = ["Homotopies of the shipped VAE: the codes (posterior means) of two sentences, the straight line",
             "between them, each point decoded greedily (`python chapters/04_vae/demo.py`).", ""]
    print("\n--- homotopies (the line between two codes) ---")
    for a, b in PAIRS:
        mu, _ = encode(model, tok, [a, b])
        rows = greedy(model, tok, homotopy(mu[0], mu[1], steps))
        lines += [f"From the code of *{a}* (t = 0) to that of *{b}* (t = 1):", "", "| t | decoded |", "|---|---|"]
        for t, s in zip(np.linspace(0, 1, steps), rows):
            lines.append(f"| {t:.2f} | {s} |")
            print(f"  {t:.2f}  {s}")
        lines.append("")
    from pystory.atomic import write_text_atomic
    write_text_atomic(os.path.join(figs, "homotopies.md"), "\n".join(lines))


def mu_pca(model, tok, figs, per_arc, plt):
    """Sentences from the middle (the arc's own paragraph) of stories forced to each arc."""
    from pystory.data import storyworld
    from pystory.data.sentences import story_sentences
    names, texts, labels = storyworld.ARC_NAMES, [], []
    for a, arc in enumerate(names):
        for i in range(per_arc):
            story = storyworld.generate_story(10_000_000 + 1000 * a + i, arc=arc)
            texts += [s for s, p in story_sentences(story) if p == 1]
            labels += [a] * (len(texts) - len(labels))
    keep = [i for i, t in enumerate(texts) if 1 <= len(tok.encode(t)) <= 48]
    texts, labels = [texts[i] for i in keep], np.array([labels[i] for i in keep])
    mu = np.concatenate([encode(model, tok, texts[i:i + 256])[0] for i in range(0, len(texts), 256)])
    centred = mu - mu.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    share = (s[:2] ** 2).sum() / (s ** 2).sum()
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    cmap = plt.get_cmap("tab20")
    for a, arc in enumerate(names):
        m = labels == a
        ax.scatter(xy[m, 0], xy[m, 1], s=6, alpha=0.6, color=cmap(a % 20), label=arc)
    ax.legend(fontsize=7, markerscale=2, ncol=2, loc="best")
    ax.set_title(f"posterior means of {len(texts)} middle-of-story sentences, PCA ({share:.0%} of the variance)",
                 fontsize=9)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    fig.tight_layout()
    save_figure(fig, os.path.join(figs, "mu_pca.png"))
    plt.close(fig)
    print(f"\nPCA of mu: {len(texts)} sentences from {len(names)} arcs; the first two components hold "
          f"{share:.0%} of the variance")


def schedule_curves(figs, plt):
    src = os.path.join(HERE, "figures", "ablation.json")
    if not os.path.exists(src):
        print("\nno chapters/04_vae/figures/ablation.json yet: run chapters/04_vae/ablation.py for the curves")
        return
    sys.path.insert(0, HERE)
    from ablation import curves
    with open(src) as f:
        results = {k: (v["eval"], v["history"]) for k, v in json.load(f).items()}
    curves(results, os.path.join(figs, "kl_schedules.png"))
    print("\nKL schedules: curves of the vanilla, linear, sigmoid and cyclical runs (from ablation.json)")
    for name in ("vanilla", "anneal", "sigmoid", "cyclical"):
        if name in results:
            h = results[name][1]
            print(f"  {name:9s} KL at the end {h['kl'][-1]:6.2f} nats, reconstruction {h['rec'][-1]:6.2f} nats")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=SHIPPED_MODEL)
    add_output_args(ap)
    ap.add_argument("--quick", action="store_true", help="fewer samples and points")
    args = ap.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figs = output_dir(HERE, args.refresh_figures)
    try:
        backend = pystory.backend("c").name
    except pystory.BackendUnavailable:
        backend = "numpy"
    try:
        model, tok, ck = load_vae(args.model, backend)
    except (OSError, ValueError) as e:
        sys.exit(f"demo: {e}")
    print(f"VAE {args.model}: {model.num_params:,} parameters, {ck.config}, step {ck.step}, backend {backend}")
    print(textwrap.fill("Every sentence below comes from a code z of " + str(model.cfg.n_latent) +
                        " numbers; the decoder writes it one token at a time, always taking the most likely "
                        "next token.", 100))
    samples(model, tok, 3 if args.quick else 8)
    reconstructions(model, tok, 3 if args.quick else 6)
    homotopies(model, tok, figs, 4 if args.quick else 7)
    mu_pca(model, tok, figs, 4 if args.quick else 40, plt)
    schedule_curves(figs, plt)
    print(f"\nfigures in {os.path.relpath(figs, ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
