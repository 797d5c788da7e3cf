"""Chapter 06: how good are the stories? A few numbers anyone can recompute.

    check pass rate   fraction of stories storyworld's own checker accepts
                      (form, the hero's name and pronouns stay consistent, ...)
    distinct-2        distinct word bigrams / all word bigrams, over all stories
                      (low: the same phrases again and again)
    repetition rate   fraction of word 4-grams in a story that already occurred
                      earlier in the same story, averaged over stories
                      (high: the model loops)

The same numbers on storyworld's own validation stories are the ceiling a
model trained on them can reach.

    python -m pystory.quality --samples 100 --seed 0     (shipped model vs storyworld)
"""
from __future__ import annotations

import argparse
import re
import sys

__all__ = ["words", "distinct_n", "repetition_rate", "check_pass_rate", "quality_report"]

_WORD = re.compile(r"[A-Za-z']+|[.,!?\"]")


def words(text):
    return _WORD.findall(text.lower())


def distinct_n(stories, n=2):
    grams, total = set(), 0
    for s in stories:
        w = words(s)
        g = [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]
        grams.update(g)
        total += len(g)
    return len(grams) / max(total, 1)


def repetition_rate(stories, n=4):
    rates = []
    for s in stories:
        w = words(s)
        seen, rep, total = set(), 0, 0
        for i in range(len(w) - n + 1):
            g = tuple(w[i:i + n])
            rep += g in seen
            seen.add(g)
            total += 1
        if total:
            rates.append(rep / total)
    return sum(rates) / max(len(rates), 1)


def check_pass_rate(stories):
    from pystory.data.storyworld import check_story
    return sum(not check_story(s) for s in stories) / max(len(stories), 1)


def quality_report(stories):
    return {"stories": len(stories), "check_pass": check_pass_rate(stories),
            "distinct_2": distinct_n(stories, 2), "repetition_4": repetition_rate(stories, 4)}


def sample_stories(model, tok, n, seed=0, temperature=0.8, top_k=0, top_p=1.0, max_tokens=1200,
                   prompt="Once upon a time"):
    """n stories from the model, story i seeded with (seed + i); the prompt is kept in the text."""
    from pystory.sample import Sampler, generate
    out = []
    for i in range(n):
        ids = list(generate(model, tok.encode(prompt), max_tokens,
                            Sampler(temperature, top_k, top_p, seed=seed + i), eot_id=tok.eot_id))
        out.append(prompt + tok.decode(ids).decode("utf-8", "replace"))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m pystory.quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="checkpoint (default: the shipped model)")
    p.add_argument("--val", default="data/storyworld/val.txt", help="storyworld validation stories (the ceiling)")
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--backend", default="c")
    args = p.parse_args(argv)
    from pystory.data.corpus import read_corpus
    from pystory.gpt_cli import SHIPPED_MODEL, load_model
    model, tok, _ = load_model(args.model or SHIPPED_MODEL, args.backend)
    samples = sample_stories(model, tok, args.samples, args.seed, args.temperature)
    rows = [("model samples", quality_report(samples))]
    try:
        rows.append(("storyworld val (ceiling)", quality_report(read_corpus(args.val, limit=args.samples))))
    except OSError as e:
        print(f"(no ceiling: {e})", file=sys.stderr)
    print("| stories | n | check_story pass | distinct-2 | repetition (4-gram) |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['stories']} | {r['check_pass']:.0%} | {r['distinct_2']:.3f} | {r['repetition_4']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
