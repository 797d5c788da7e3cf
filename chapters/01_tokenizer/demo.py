"""Chapter 01 demo: train a byte-level BPE on stories, look at what it learned.

    .venv/bin/python chapters/01_tokenizer/demo.py [--stories 5000] [--vocab 4096] [--backend c] [--quick]

Prints the first merges, a sentence cut into tokens, and plots compression
(bytes per token) against vocab size to compression.png in build/figures/01_tokenizer/
(untracked; --refresh-figures writes the committed figures/compression.png).

Bytes per token counts each <|endoftext|> between stories as one byte, as
chapter 06's bits per byte does: with no merges (vocab 257) every byte is a
token and the ratio is exactly 1.00.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import pystory  # noqa: E402
from pystory.tokenizer import EOT, BPETokenizer  # noqa: E402
from pystory.tokenizer_cli import show_tokens  # noqa: E402
from pystory.bench import add_output_args, figure_path, save_figure  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=5000)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--backend", default="c")
    ap.add_argument("--quick", action="store_true", help="600 stories, vocab 512 (a few seconds)")
    args = add_output_args(ap).parse_args(argv)
    if args.quick:
        args.stories, args.vocab = 600, 512
    try:
        pystory.backend(args.backend)
    except pystory.BackendUnavailable as e:
        print(f"({e}; using numpy)")
        args.backend = "numpy"

    from pystory.data.storyworld import generate_stories
    stories = generate_stories(args.stories, seed=0)
    train_text = EOT.join(stories[:-100]).encode()
    held_out = EOT.join(stories[-100:]).encode()   # measure compression on stories it never saw
    # its bytes of text, each separator counted as one byte (the one token it always is)
    held_out_bytes = len(held_out) - (len(EOT.encode()) - 1) * held_out.count(EOT.encode())
    print(f"corpus: {len(stories) - 100:,} stories, {len(train_text) / 1e6:.1f} MB")

    t0 = time.perf_counter()
    tok = BPETokenizer.train(train_text, args.vocab, backend=args.backend)
    print(f"trained {len(tok.merges)} merges in {time.perf_counter() - t0:.2f} s ({args.backend} backend); "
          f"vocab_size {tok.vocab_size}, <|endoftext|> is id {tok.eot_id}")
    if len(tok.merges) < args.vocab - 257:
        print(f"  (stopped early: every distinct word of the corpus is now a single token)")

    print("\nthe first 20 merges (most frequent pairs first):")
    for m, (a, b) in enumerate(tok.merges[:20].tolist()):
        print(f"  {256 + m}: {tok.vocab[a]!r:>10} + {tok.vocab[b]!r:<10} -> {tok.vocab[256 + m]!r}")
    print("\nthe last 5 merges:")
    for m in range(len(tok.merges) - 5, len(tok.merges)):
        print(f"  {256 + m}: {tok.vocab[256 + m]!r}")

    sentence = "Once upon a time, a shy dragon named Zorblax wanted to fly over the café. <|endoftext|>"
    ids = tok.encode(sentence)
    print(f"\n{len(sentence.encode())} bytes -> {ids.size} tokens:")
    print("  " + show_tokens(tok, ids))
    print("  ids:", ids.tolist())
    print("  (common words are one token each, a name it never saw falls apart into pieces,")
    print("   and 'é' stays two raw UTF-8 bytes: the corpus has none, yet nothing is lost)")

    # Compression against vocab size. Merges are learned in order, so the first
    # k merges ARE the tokenizer of vocab 257 + k: one training gives every size.
    sizes = [s for s in (257, 300, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 8192) if s <= tok.vocab_size]
    ratios = []
    for V in sizes:
        small = BPETokenizer(tok.merges[:V - 257], backend=args.backend)
        ratios.append(held_out_bytes / small.encode(held_out).size)
    print("\nbytes per token on 100 held-out stories:")
    for V, r in zip(sizes, ratios):
        print(f"  vocab {V:5d}: {r:.2f}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(sizes, ratios, "o-")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("vocab size")
    ax.set_ylabel("bytes per token (held out)")
    ax.set_title("BPE compression on storyworld stories")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    print()
    save_figure(fig, figure_path(HERE, "compression.png", args.refresh_figures), dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
