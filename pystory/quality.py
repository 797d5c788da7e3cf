"""Chapter 06: how good are the stories? A few numbers anyone can recompute.

    check pass rate   fraction of stories storyworld's own checker accepts
                      (form, the hero's name and pronouns stay consistent, ...)
    consistency       fraction of stories in which nothing drifts (check_consistency):
                        object     a coloured toy or garment keeps its colour, a colour
                                   names one object, and the hero owns one toy
                                   ("her yellow toy horse" never becomes "her blue dinosaur")
                        companion  one grown-up: a single family title used as a name
                                   ("Mom" never turns into "Nana" and then "Grandpa")
                        name       every name but the hero's is introduced, and nobody is
                                   introduced twice as two different kinds
                                   (the hero "Cedric" never becomes "Alex")
    both              fraction that pass the check *and* are consistent: the stories that hold
                      together (a story with no names or objects, such as junk, is "consistent")
    grown-up recall   read, not sampled: where a val story names its grown-up again, how often
                      the model ranks the right title first (grown_up_recall)
    distinct-2        distinct word bigrams / all word bigrams, over all stories
                      (low: the same phrases again and again)
    repetition rate   fraction of word 4-grams in a story that already occurred
                      earlier in the same story, averaged over stories
                      (high: the model loops)

The same numbers on storyworld's own validation stories are the ceiling a
model trained on them can reach. Like check_story, check_consistency states
storyworld's conventions (one grown-up, one toy per story); on other text,
such as real TinyStories, it is a heuristic and can report false problems.

    python -m pystory.quality --samples 200 --seed 0 --temperature 0.8 1.0   (the story command's top-p 0.9)
    python -m pystory.quality --temperature 0.8 1.0 --top-p 1                 (plain sampling)
"""
from __future__ import annotations

import re
import sys

__all__ = ["words", "distinct_n", "repetition_rate", "check_pass_rate", "check_consistency",
           "consistency_rate", "sound_rate", "grown_up_recall", "quality_report", "sample_stories"]

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


# ---------------------------------------------------------------------------
# Consistency: objects, the grown-up, names
# ---------------------------------------------------------------------------

_PATTERNS = {}


def _patterns():
    """The regular expressions, built once from the word lists (longest object names first)."""
    if not _PATTERNS:
        from pystory.data import words as W
        alt = lambda ws: "|".join(re.escape(w) for w in sorted(ws, key=lambda s: (-len(s), s)))
        kinds, colors, looks = alt(W.OBJECT_KINDS), alt(W.COLORS), alt(W.PATTERNS)
        # "red kite", "red striped kite": a colour, maybe a pattern word, an object
        _PATTERNS["colored"] = re.compile(rf"\b({colors})\s+(?:(?:{looks})\s+)?({kinds})\b", re.I)
        # "her kite", "his red kite", "their shiny new kite": the hero's toy
        _PATTERNS["owned"] = re.compile(
            rf"\b(?:his|her|their)\s+(?:(?:{colors}|{looks}|new|favorite|little|own)\s+){{0,3}}({alt(W.TOYS)})\b",
            re.I)
        _PATTERNS["adult"] = re.compile(rf"\b({alt(W.ADULT_TITLES)})\b")
        # "a little girl named Lily", "an old fox called Sam": the kind is the word before the name
        _PATTERNS["intro"] = re.compile(r"\b(?:[Aa]|[Aa]n)\s+(?:[a-z,-]+\s+){0,3}?([a-z]+) (?:named|called) ([A-Z][a-z]+)")
        _PATTERNS["toys"] = set(W.TOYS)
        _PATTERNS["names"] = W.NAME_PRONOUNS
    return _PATTERNS


def _object_problems(text):
    P = _patterns()
    problems = []
    colors_of, kinds_of = {}, {}
    for m in P["colored"].finditer(text):
        color, kind = m.group(1).lower(), m.group(2).lower()
        colors_of.setdefault(kind, []).append(color)
        kinds_of.setdefault(color, []).append(kind)
    for kind, cs in colors_of.items():
        if len(set(cs)) > 1:
            problems.append(f"object: the {kind} changes colour: {' -> '.join(dict.fromkeys(cs))}")
    for color, ks in kinds_of.items():
        if len(set(ks)) > 1:
            problems.append(f"object: the {color} thing changes kind: {' -> '.join(dict.fromkeys(ks))}")
    owned = [m.group(1).lower() for m in P["owned"].finditer(text)]
    if len(set(owned)) > 1:
        problems.append(f"object: the hero's toy changes: {' -> '.join(dict.fromkeys(owned))}")
    return problems


def _companion_problems(text):
    titles = list(dict.fromkeys(m.group(1) for m in _patterns()["adult"].finditer(text)))
    if len(titles) > 1:
        return [f"companion: the grown-up changes: {' -> '.join(titles)}"]
    return []


def _name_problems(text):
    from pystory.data.storyworld import _name_problems as unintroduced, find_protagonist
    P = _patterns()
    hero, _ = find_protagonist(text)
    problems = [f"name: {p}" for p in unintroduced(text, hero)]
    kinds = {}
    for m in P["intro"].finditer(text):
        kind, name = m.group(1), m.group(2)
        if name in P["names"]:
            kinds.setdefault(name, []).append(kind)
    for name, ks in kinds.items():
        if len(set(ks)) > 1:
            problems.append(f"name: {name} is introduced as {' and as '.join(dict.fromkeys(ks))}")
    return problems


def check_consistency(text):
    """Drift problems in a story (empty list = consistent). Never raises.

    Each problem starts with its kind: 'object: ...', 'companion: ...', 'name: ...'.
    """
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", errors="replace")
        if not isinstance(text, str):
            return [f"not text: got {type(text).__name__}"]
        return _object_problems(text) + _companion_problems(text) + _name_problems(text)
    except Exception as e:  # scores messy model output: report, never raise
        return [f"checker error: {type(e).__name__}: {e}"]


def consistency_rate(stories):
    return sum(not check_consistency(s) for s in stories) / max(len(stories), 1)


def consistency_breakdown(stories):
    """{kind: fraction of stories with at least one problem of that kind} for object/companion/name."""
    return _drift([check_consistency(s) for s in stories])


def _drift(problem_lists):
    """consistency_breakdown from each story's check_consistency problems."""
    out = {"object": 0, "companion": 0, "name": 0}
    for problems in problem_lists:
        for kind in {p.split(":", 1)[0] for p in problems} & out.keys():
            out[kind] += 1
    return {k: v / max(len(problem_lists), 1) for k, v in out.items()}


def sound_rate(stories):
    """Fraction of stories that pass check_story *and* are consistent: a story that holds together.
    (Consistency alone is also met by a story with no names or objects at all, such as junk.)"""
    from pystory.data.storyworld import check_story
    return sum(not check_story(s) and not check_consistency(s) for s in stories) / max(len(stories), 1)


def grown_up_recall(model, tok, stories):
    """How often the model names the story's grown-up right when they come back: (fraction, places).

    Read, not sampled: each story is run through the model once (its first block_size tokens). At
    every capitalized family title (" Mom", "Dad" after a quote, ...) that follows an earlier one,
    the title the model ranks first among all titles -- from the logits one position before --
    is compared with the one the story uses. A model that forgot who is in the story guesses
    from the titles' frequencies; one that tracks the grown-up copies the earlier title.
    """
    import numpy as np
    from pystory.data import words as W
    spaced, bare = {}, {}                       # token id -> title, for titles that are one token
    for t in W.ADULT_TITLES:
        for table, text in ((spaced, " " + t), (bare, t)):
            ids = [int(i) for i in tok.encode(text)]
            if len(ids) == 1:
                table.setdefault(ids[0], t)
    right = places = 0
    T = model.cfg.block_size
    for story in stories:
        ids = np.asarray(tok.encode(story), np.int32)[:T]
        marks = [(j, table) for j in range(1, len(ids)) for table in (spaced, bare) if int(ids[j]) in table]
        if len(marks) < 2:
            continue
        logits = np.asarray(model.forward(ids[None, :])[0][0], np.float32)       # (T, V)
        for j, table in marks[1:]:
            cand = list(table)
            guess = cand[int(np.argmax(logits[j - 1, cand]))]
            right += table[guess] == table[int(ids[j])]
            places += 1
    return right / max(places, 1), places


def quality_report(stories):
    """Every number of the table; each story's two checks run once."""
    from pystory.data.storyworld import check_story
    passed = [not check_story(s) for s in stories]
    drifts = [check_consistency(s) for s in stories]
    n = max(len(stories), 1)
    return {"stories": len(stories), "check_pass": sum(passed) / n,
            "consistency": sum(not d for d in drifts) / n,
            "sound": sum(p and not d for p, d in zip(passed, drifts)) / n,
            "drift": _drift(drifts),
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


def format_rows(rows):
    """The quality table (markdown) for [(label, quality_report(...)), ...]."""
    lines = ["| stories | n | check_story pass | consistent | both | drift: object / companion / name "
             "| distinct-2 | repetition (4-gram) |", "|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        d = r["drift"]
        lines.append(f"| {name} | {r['stories']} | {r['check_pass']:.0%} | {r['consistency']:.0%} | "
                     f"{r['sound']:.0%} | "
                     f"{d['object']:.0%} / {d['companion']:.0%} / {d['name']:.0%} | "
                     f"{r['distinct_2']:.3f} | {r['repetition_4']:.3f} |")
    return "\n".join(lines)


def parser():
    from pystory.cli_args import SEED, Float, Int, Parser, Path
    from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P
    import pystory
    p = Parser("python -m pystory.quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, type=Path("file"), help="checkpoint (default: the shipped model)")
    p.add_argument("--val", default="data/storyworld/val.txt",
                   help="validation stories of the model's corpus (the ceiling); skipped if missing")
    p.add_argument("--samples", type=Int(1, 10**6), default=200, help="stories per temperature")
    p.add_argument("--seed", type=SEED, default=0, help="story i is sampled with seed + i")
    p.add_argument("--temperature", type=Float(0, 100), nargs="+", default=[STORY_TEMPERATURE],
                   help="one or more temperatures")
    p.add_argument("--top-k", type=Int(0, 2**31 - 1), default=0, help="keep only the k most likely tokens (0: off)")
    p.add_argument("--top-p", type=Float(0, 1, lo_open=True), default=STORY_TOP_P,
                   help="nucleus sampling, as the story command (1: off, plain sampling)")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--show-failures", type=Int(0, 10**6), default=0, metavar="N",
                   help="print the problems of the first N failing samples")
    return p


def _main(argv):
    args = parser().parse_args(argv)
    from pystory.data.corpus import read_corpus
    from pystory.data.storyworld import check_story
    from pystory.gpt_cli import SHIPPED_MODEL, load_model
    model, tok, _ = load_model(args.model or SHIPPED_MODEL, args.backend)
    rows = []
    for temp in args.temperature:
        samples = sample_stories(model, tok, args.samples, args.seed, temp, args.top_k, args.top_p)
        label = f"model, temperature {temp}" + (f", top-k {args.top_k}" if args.top_k else "") + \
            (f", top-p {args.top_p:g}" if args.top_p < 1 else ", plain sampling (top-p 1)")
        rows.append((label, quality_report(samples)))
        shown = 0
        for i, s in enumerate(samples):
            problems = check_story(s) + check_consistency(s)
            if problems and shown < args.show_failures:
                print(f"--- sample {i} (seed {args.seed + i}, temperature {temp}): {problems}\n{s}\n")
                shown += 1
    try:
        val = read_corpus(args.val, limit=args.samples)
    except (OSError, ValueError) as e:
        print(f"(no ceiling, no grown-up recall: {e})", file=sys.stderr)
        val = None
    if val is not None:
        rows.append(("storyworld val (ceiling)", quality_report(val)))
    print(format_rows(rows))
    if val is not None:
        recall, places = grown_up_recall(model, tok, val)
        print(f"grown-up recall on {len(val)} val stories: {recall:.0%} of {places} places where the "
              f"grown-up is named again get the right title ranked first among the titles")
    return 0


def main(argv=None):
    """`python -m pystory.quality`: bad arguments and files are one line on stderr, exit code 2."""
    from pystory.cli_args import run
    return run("quality", _main, sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":
    sys.exit(main())
