"""Chapter 02 demo: train word2vec on the story corpus, look at what it learned.

    .venv/bin/python chapters/02_embeddings/demo.py [--backend c] [--epochs 5] [--quick]

Prints nearest neighbours of a name, an animal, a feeling and a place, and an
analogy; writes word2vec_pca.png (a 2-D PCA of chosen words coloured by kind)
and sinusoidal_positions.png to build/figures/02_embeddings/ (untracked;
--refresh-figures writes the committed ones in figures/). The same arguments
give the same output on every machine: the work is fixed (--epochs), not the time.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import pystory  # noqa: E402
from pystory import word2vec as W  # noqa: E402
from pystory.data import words as WL  # noqa: E402
from pystory.bench import add_output_args, figure_path, save_figure  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus_text(n_stories, seed):
    """The storyworld corpus; a small template fallback while it is not installed."""
    try:
        from pystory.data.storyworld import generate_stories
    except ImportError:
        print("(pystory.data.storyworld not found: using a small template corpus instead)")
        return fallback_stories(n_stories, seed)
    stories = generate_stories(n_stories, seed=seed)
    return stories if isinstance(stories, str) else "<|endoftext|>".join(stories)


def fallback_stories(n, seed):
    rng = np.random.default_rng(seed)
    pick = lambda xs: xs[rng.integers(len(xs))]
    names = WL.GIRL_NAMES + WL.BOY_NAMES
    places = WL.PLACES
    out = []
    for _ in range(n):
        name, friend = pick(names), pick(names)
        he = WL.NAME_PRONOUNS[name]
        animal, place = pick(WL.HERO_ANIMALS), pick(places)
        good, bad = pick(WL.FEELINGS_GOOD), pick(WL.FEELINGS_BAD)
        out.append(f"Once upon a time, {name} went to the {place} with {friend}. "
                   f"There {he} saw a little {animal}. The {animal} was {bad} because it was lost. "
                   f"{name} helped the {animal} find its home. {name} felt {good}, and {friend} was {good} too. "
                   f"The {animal} said thank you, and they played in the {place} until dinner.")
    return "<|endoftext|>".join(out)


KINDS = {  # what the PCA figure shows, by colour
    "name": ["lily", "tom", "mia", "ben", "sue", "max", "emma", "leo"],
    "animal": ["bunny", "puppy", "kitten", "bear", "fox", "duck", "frog", "owl"],
    "feeling": ["happy", "sad", "proud", "worried", "glad", "upset", "scared", "excited"],
    "place": ["park", "forest", "beach", "garden", "farm", "lake", "school", "meadow"],
}


def plot_pca(w, vocab, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    chosen = [(word, kind) for kind, ws in KINDS.items() for word in ws if word in vocab.index]
    x = W.normalize(w)[[vocab.index[word] for word, _ in chosen]]
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)     # PCA: the top two right singular vectors
    xy = x @ vt[:2].T
    fig, ax = plt.subplots(figsize=(7, 6))
    for kind, colour in zip(KINDS, ["tab:blue", "tab:orange", "tab:green", "tab:red"]):
        pts = [(p, word) for p, (word, k) in zip(xy, chosen) if k == kind]
        if pts:
            ax.scatter([p[0] for p, _ in pts], [p[1] for p, _ in pts], c=colour, label=kind)
            for p, word in pts:
                ax.annotate(word, p, fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_title("word2vec on stories: 2-D PCA of chosen words")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)


def plot_positions(path, T=128, C=64):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pe = pystory.backend("numpy").sinusoidal_positions(T, C)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    im = a.imshow(pe.T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    a.set_xlabel("position t")
    a.set_ylabel("channel")
    a.set_title(f"sinusoidal positions (T={T}, C={C})")
    fig.colorbar(im, ax=a)
    sim = pe @ pe.T / (C / 2)
    b.plot(sim[40], label="similarity of position 40 to t")
    b.set_xlabel("position t")
    b.set_title("nearby positions have similar codes")
    b.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="c")
    ap.add_argument("--stories", type=int, default=20_000)
    ap.add_argument("--epochs", type=int, default=5, help="passes over the corpus (about 10 s each on 2 cores)")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="1,000 stories, 1 epoch, dim 16 (a few seconds)")
    args = add_output_args(ap).parse_args(argv)
    if args.quick:
        args.stories, args.epochs, args.dim = 1000, 1, 16

    t0 = time.perf_counter()
    words = W.tokenize(corpus_text(args.stories, args.seed))
    vocab = W.build_vocab(words, min_count=5)
    ids = vocab.encode(words)
    print(f"corpus: {len(words):,} words, vocabulary {len(vocab):,} (min count 5); "
          f"read in {time.perf_counter() - t0:.1f} s")

    be = pystory.backend(args.backend)
    epochs = args.epochs
    print(f"training on the {be.name} backend: {epochs} epoch(s), dim {args.dim}")
    t2 = time.perf_counter()
    w, _, losses = W.train(ids, vocab.counts, dim=args.dim, epochs=epochs, backend=be, seed=args.seed,
                           log_every=max(1, len(ids) * epochs // 512 // 8))
    dt = time.perf_counter() - t2
    print(f"trained in {dt:.1f} s ({len(ids) * epochs / dt:,.0f} words/s); "
          f"loss {losses[:50].mean():.3f} -> {losses[-50:].mean():.3f}")

    print("\nnearest neighbours (cosine similarity of w_in):")
    for word in ["lily", "bunny", "happy", "park", "tom", "sad"]:
        if word in vocab.index:
            print(f"  {word:>8}: " + ", ".join(f"{o} {s:.2f}" for o, s in W.nearest(w, vocab, word, 6)))
    print("\nanalogies (a : b :: c : ?):")
    for a, b, c in [("he", "she", "boy"), ("tom", "he", "lily"), ("happy", "sad", "glad")]:
        if all(x in vocab.index for x in (a, b, c)):
            print(f"  {a} : {b} :: {c} : " + ", ".join(f"{o} {s:.2f}" for o, s in W.analogy(w, vocab, a, b, c)))

    print()
    plot_pca(w, vocab, figure_path(HERE, "word2vec_pca.png", args.refresh_figures))
    plot_positions(figure_path(HERE, "sinusoidal_positions.png", args.refresh_figures))
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
