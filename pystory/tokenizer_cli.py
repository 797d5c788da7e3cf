"""python -m pystory tokenizer train|encode|decode — the BPE tokenizer from the command line.

    python -m pystory tokenizer train --vocab 4096 --corpus stories.txt --backend c --out tok.bpe
    python -m pystory tokenizer encode --tokenizer tok.bpe --text "Once upon a time"
    python -m pystory tokenizer encode --tokenizer tok.bpe --in story.txt --out ids.npy
    python -m pystory tokenizer decode --tokenizer tok.bpe --ids "1 2 3"
    python -m pystory tokenizer decode --tokenizer tok.bpe --in ids.npy
"""
import sys
import time

import numpy as np

from pystory.cli_args import SEED, Int, OutFile, Parser, Path, Tokenizer, UserError, run
from pystory.tokenizer import EOT, MAX_VOCAB, N_BYTES, BPETokenizer, load_tokenizer

BACKENDS = ("numpy", "c", "cuda", "emu")


def _parser():
    p = Parser("python -m pystory tokenizer", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{train,encode,decode}")

    t = sub.add_parser("train", help="learn merges from a corpus", description="Learn BPE merges from a corpus.")
    t.add_argument("--vocab", type=Int(N_BYTES + 1, MAX_VOCAB), default=4096,
                   help="vocab size: 256 bytes + merges + <|endoftext|>")
    t.add_argument("--corpus", type=Path("file"), help="a text file (stories separated by <|endoftext|>)")
    t.add_argument("--stories", type=Int(0, 10**7), default=0,
                   help="no --corpus: train on this many generated storyworld stories")
    t.add_argument("--seed", type=SEED, default=0, help="storyworld seed (with --stories)")
    t.add_argument("--backend", choices=BACKENDS, default="c", help="who runs the ops")
    t.add_argument("--out", type=OutFile, required=True, help="merges file to write (and OUT.vocab)")

    e = sub.add_parser("encode", help="text -> token ids", description="Text to token ids.")
    e.add_argument("--tokenizer", type=Tokenizer, required=True, help="a merges file, or 'byte'")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text to encode")
    src.add_argument("--in", dest="inp", type=Path("file"), help="a file to encode")
    e.add_argument("--out", type=OutFile, help="write the ids as .npy (int32) instead of printing them")
    e.add_argument("--backend", choices=BACKENDS, default="c", help="who runs the ops")
    e.add_argument("--show", action="store_true", help="print the tokens with their boundaries")

    d = sub.add_parser("decode", help="token ids -> text (bytes on stdout)", description="Token ids to text.")
    d.add_argument("--tokenizer", type=Tokenizer, required=True, help="a merges file, or 'byte'")
    src = d.add_mutually_exclusive_group(required=True)
    src.add_argument("--ids", help="ids separated by spaces or commas")
    src.add_argument("--in", dest="inp", type=Path("file"), help="a .npy file of ids (written by encode --out)")
    return p


def show_tokens(tok, ids):
    """The text with a | between tokens (bytes that are not valid UTF-8 shown as escapes)."""
    return "|".join(tok.decode([i]).decode("utf-8", "backslashreplace") for i in np.asarray(ids).tolist())


def parse_ids(text, vocab_size):
    """'1 2, 3' -> int64 ids, each checked against [0, vocab_size) before any array is made."""
    words = text.replace(",", " ").split()
    ids = []
    for w in words:
        try:
            v = int(w, 10)
        except ValueError:
            raise UserError(f"--ids must be integers separated by spaces or commas, got {w[:30]!r}") from None
        if not 0 <= v < vocab_size:
            raise UserError(f"--ids: {w[:30]} is not a token id of this tokenizer (ids are 0..{vocab_size - 1})")
        ids.append(v)
    return np.array(ids, np.int64)


def load_ids(path, vocab_size):
    """A .npy file of integer ids (what `encode --out` writes), checked before decoding."""
    try:
        ids = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise UserError(f"{path}: not a .npy file of token ids ({type(e).__name__}); "
                        f"write one with `tokenizer encode --out FILE`") from None
    if not isinstance(ids, np.ndarray) or ids.dtype.kind not in "iu" or ids.ndim != 1:
        raise UserError(f"{path}: expected a 1-D array of integer ids, got {getattr(ids, 'dtype', '?')} "
                        f"with shape {getattr(ids, 'shape', '?')}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise UserError(f"{path}: ids must be in [0, {vocab_size}) for this tokenizer, "
                        f"got min {ids.min()} max {ids.max()}")
    return ids


def _train(args):
    if args.corpus:
        with open(args.corpus, "rb") as f:
            text = f.read()
    elif args.stories > 0:
        from pystory.data.storyworld import generate_stories
        text = EOT.join(generate_stories(args.stories, seed=args.seed)).encode()
    else:
        raise UserError("give --corpus FILE or --stories N (N >= 1)")
    t0 = time.perf_counter()
    tok = BPETokenizer.train(text, args.vocab, backend=args.backend)
    dt = time.perf_counter() - t0
    tok.save(args.out)
    print(f"trained {len(tok.merges)} merges on {len(text):,} bytes in {dt:.2f} s "
          f"({args.backend}); vocab_size {tok.vocab_size}, <|endoftext|> = {tok.eot_id}")
    print(f"wrote {args.out} and {args.out}.vocab")


def _encode(args):
    from pystory.atomic import atomic_open
    tok = load_tokenizer(args.tokenizer, backend=args.backend) if args.tokenizer != "byte" \
        else load_tokenizer("byte")
    if args.text is not None:
        data = args.text.encode("utf-8", "surrogateescape")
    else:
        with open(args.inp, "rb") as f:
            data = f.read()
    ids = tok.encode(data)
    if args.out:
        with atomic_open(args.out, "wb") as f:
            np.save(f, ids.astype(np.int32), allow_pickle=False)
        print(f"{len(data):,} bytes -> {ids.size:,} tokens ({len(data) / max(ids.size, 1):.2f} bytes/token) "
              f"-> {args.out}")
    elif args.show:
        print(show_tokens(tok, ids))
    else:
        print(" ".join(map(str, ids.tolist())))


def _decode(args):
    tok = load_tokenizer(args.tokenizer)
    ids = parse_ids(args.ids, tok.vocab_size) if args.ids is not None else load_ids(args.inp, tok.vocab_size)
    sys.stdout.buffer.write(tok.decode(ids))
    sys.stdout.buffer.flush()


def main(argv=()):
    return run("tokenizer", _main, list(argv))


def _main(argv):
    args = _parser().parse_args(argv)
    command = {"train": _train, "encode": _encode, "decode": _decode}[args.cmd]
    return run(f"tokenizer {args.cmd}", lambda _: command(args), None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
