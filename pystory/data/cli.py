"""python -m pystory data ...: write the story corpus, print stats, tokenize.

    python -m pystory data --stories 50000 --seed 0 --out data/storyworld
    python -m pystory data stats --corpus data/storyworld/train.txt
    python -m pystory data tokenize --tokenizer byte --corpus data/storyworld
    python -m pystory data download tinystories --version v2 --out data/tinystories

`data` (no subcommand) writes train.txt and val.txt; `tokenize` turns them
into train_000.bin, ... and val_000.bin (see shards.py for the format).
"""
from __future__ import annotations

import os
import re
import sys
import time

import numpy as np

from pystory.cli_args import SEED, Float, Int, OutDir, Parser, Path, Tokenizer, run
from pystory.data import corpus, shards, storyworld

SUBCOMMANDS = ("generate", "stats", "tokenize", "download")


def _generate_parser():
    p = Parser(
        "python -m pystory data",
        description="Write a storyworld corpus (train.txt, val.txt). "
                    "Other commands: `data stats --corpus FILE`, `data tokenize --corpus DIR`.")
    p.add_argument("--stories", type=Int(1, 10**7), default=50000, help="number of stories")
    p.add_argument("--seed", type=SEED, default=0, help="seed")
    p.add_argument("--out", type=OutDir, default="data/storyworld", help="output folder")
    p.add_argument("--val-fraction", type=Float(0, 1, hi_open=True), default=0.02,
                   help="fraction of the stories held out in val.txt")
    return p


def _stats_parser():
    p = Parser("python -m pystory data stats", description="Statistics of a TinyStories-format file.")
    p.add_argument("--corpus", type=Path("file"), required=True, help="a TinyStories-format text file")
    p.add_argument("--limit", type=Int(0, None), default=100000,
                   help="use only the first N stories (0 = all, needs memory)")
    return p


def _tokenize_parser():
    p = Parser(
        "python -m pystory data tokenize",
        description="Encode a corpus into token shards: each story, then the eot token.")
    p.add_argument("--tokenizer", type=Tokenizer, default="byte", help="'byte' or a saved tokenizer file")
    p.add_argument("--corpus", type=Path("any"), required=True,
                   help="a folder with train.txt and/or val.txt, or one TinyStories-format file")
    p.add_argument("--out", type=OutDir, default=None, help="output folder (default: the corpus folder)")
    p.add_argument("--split", default=None, choices=("train", "val"),
                   help="for a single file: its split (default: 'val' if the name contains 'val', else 'train')")
    p.add_argument("--shard-tokens", type=Int(1, 2**40), default=100_000_000,
                   help="at most this many tokens per shard, cut between stories")
    return p


# ---------------------------------------------------------------------------

def split_train_val(stories: list[str], val_fraction: float) -> tuple[list[str], list[str], int]:
    """(train, val, n_duplicates): exact duplicates dropped, the last stories held out.

    Dropping duplicates first is what makes the split disjoint: no story text
    can be in both files.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    unique = list(dict.fromkeys(stories))
    n_val = int(round(len(unique) * val_fraction))
    if val_fraction > 0 and len(unique) >= 2:
        n_val = max(n_val, 1)
    n_train = len(unique) - n_val
    return unique[:n_train], unique[n_train:], len(stories) - len(unique)


def cmd_generate(argv) -> int:
    args = _generate_parser().parse_args(argv)
    t0 = time.perf_counter()
    stories = storyworld.generate_stories(args.stories, seed=args.seed)
    t_gen = time.perf_counter() - t0
    try:
        train, val, dups = split_train_val(stories, args.val_fraction)
    except ValueError as e:
        print(f"data: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    corpus.write_corpus(os.path.join(args.out, "train.txt"), train)
    if val:
        corpus.write_corpus(os.path.join(args.out, "val.txt"), val)
    t_all = time.perf_counter() - t0
    stats = storyworld.corpus_stats(stories)
    t_stats = time.perf_counter() - t0 - t_all
    print(f"storyworld: {args.stories:,} stories, seed {args.seed}")
    print(storyworld.format_stats(stats))
    print(f"  duplicates dropped  {dups}")
    print(f"wrote {os.path.join(args.out, 'train.txt')} ({len(train):,} stories)")
    if val:
        print(f"wrote {os.path.join(args.out, 'val.txt')} ({len(val):,} stories)")
    print(f"time: {t_gen:.1f} s to generate, {t_all:.1f} s with writing, {t_stats:.1f} s for the stats")
    return 0


def cmd_stats(argv) -> int:
    args = _stats_parser().parse_args(argv)
    limit = args.limit if args.limit > 0 else None
    t0 = time.perf_counter()
    try:
        stories = corpus.read_corpus(args.corpus, limit=limit)
    except (OSError, ValueError) as e:
        print(f"data stats: {e}", file=sys.stderr)
        return 2
    stats = storyworld.corpus_stats(stories)
    note = f" (the first {limit:,}; --limit 0 for all)" if limit is not None and len(stories) == limit else ""
    print(f"{args.corpus}: {len(stories):,} stories{note}")
    print(storyworld.format_stats(stats))
    print(f"time: {time.perf_counter() - t0:.1f} s")
    return 0


# ---------------------------------------------------------------------------

def _corpus_files(corpus_arg: str, split: str | None) -> list[tuple[str, str]]:
    """[(split, path)] for a folder (train.txt, val.txt) or a single file."""
    if os.path.isdir(corpus_arg):
        found = [(s, os.path.join(corpus_arg, f"{s}.txt")) for s in ("train", "val")]
        found = [(s, p) for s, p in found if os.path.isfile(p)]
        if not found:
            raise FileNotFoundError(f"no train.txt or val.txt in {corpus_arg}")
        return found
    if not os.path.isfile(corpus_arg):
        raise FileNotFoundError(f"corpus not found: {corpus_arg}")
    if split is None:
        split = "val" if "val" in os.path.basename(corpus_arg).lower() else "train"
    return [(split, corpus_arg)]


def tokenize_file(path: str, tok, out_dir: str, split: str, shard_tokens: int) -> list[str]:
    """Encode one corpus file into {split}_000.bin, ... ; returns the shard paths.

    A shard is cut at the last story end that keeps it within shard_tokens
    (only a single story longer than shard_tokens is cut inside).
    """
    for old in os.listdir(out_dir):                       # stale shards of an earlier run
        if re.fullmatch(rf"{re.escape(split)}_\d{{3,}}\.bin", old):
            os.unlink(os.path.join(out_dir, old))
    written, pending, n_pending = [], [], 0

    def flush(tokens):
        p = os.path.join(out_dir, f"{split}_{len(written):03d}.bin")
        shards.write_shard(p, tokens, tok.vocab_size, eot_id=tok.eot_id)
        written.append(p)

    for chunk in corpus.iter_text_chunks(path):
        ids = np.asarray(tok.encode(chunk))
        pending.append(ids)
        n_pending += len(ids)
        while n_pending >= shard_tokens:
            buf = np.concatenate(pending)
            ends = np.flatnonzero(buf[:shard_tokens] == tok.eot_id)
            cut = int(ends[-1]) + 1 if len(ends) else shard_tokens
            flush(buf[:cut])
            pending, n_pending = [buf[cut:]], len(buf) - cut
    if n_pending:
        flush(np.concatenate(pending))
    return written


def cmd_tokenize(argv) -> int:
    args = _tokenize_parser().parse_args(argv)
    from pystory.tokenizer import load_tokenizer
    try:
        tok = load_tokenizer(args.tokenizer)
        files = _corpus_files(args.corpus, args.split)
    except (OSError, ValueError) as e:
        print(f"data tokenize: {e}", file=sys.stderr)
        return 2
    out_dir = args.out or (args.corpus if os.path.isdir(args.corpus) else os.path.dirname(args.corpus) or ".")
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.perf_counter()
    for split, path in files:
        try:
            paths = tokenize_file(path, tok, out_dir, split, args.shard_tokens)
        except (OSError, ValueError) as e:
            print(f"data tokenize: {e}", file=sys.stderr)
            return 2
        n = sum(shards.read_header(p).n_tokens for p in paths)
        print(f"{path}: {n:,} tokens (vocab {tok.vocab_size}) -> {len(paths)} shard(s) "
              f"{os.path.join(out_dir, split)}_000.bin ...")
    print(f"time: {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_download(argv) -> int:
    """`data download tinystories ...`: see pystory/data/download.py."""
    from pystory.data import download
    return download.main(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        name, rest = argv[0], argv[1:]
    else:
        name, rest = "generate", argv
    command = {"generate": cmd_generate, "stats": cmd_stats, "tokenize": cmd_tokenize,
               "download": cmd_download}[name]
    return run("data" if name == "generate" else f"data {name}", command, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
