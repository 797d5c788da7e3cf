"""python -m pystory tokenizer train|encode|decode — the BPE tokenizer from the command line.

    python -m pystory tokenizer train --vocab 4096 --corpus stories.txt --backend c --out tok.bpe
    python -m pystory tokenizer encode --tokenizer tok.bpe --text "Once upon a time"
    python -m pystory tokenizer encode --tokenizer tok.bpe --in story.txt --out ids.npy
    python -m pystory tokenizer decode --tokenizer tok.bpe --ids "1 2 3"
    python -m pystory tokenizer decode --tokenizer tok.bpe --in ids.npy
"""
import argparse
import sys
import time

import numpy as np

from pystory.tokenizer import EOT, BPETokenizer, load_tokenizer


def _parser():
    p = argparse.ArgumentParser(prog="python -m pystory tokenizer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    backends = ("numpy", "c", "cuda", "emu")

    t = sub.add_parser("train", help="learn merges from a corpus")
    t.add_argument("--vocab", type=int, default=4096, help="vocab size: 256 bytes + merges + <|endoftext|>")
    t.add_argument("--corpus", help="a text file (stories separated by <|endoftext|>)")
    t.add_argument("--stories", type=int, default=0,
                   help="no --corpus: train on this many generated storyworld stories")
    t.add_argument("--seed", type=int, default=0, help="storyworld seed (with --stories)")
    t.add_argument("--backend", choices=backends, default="c")
    t.add_argument("--out", required=True, help="merges file to write (and OUT.vocab)")

    e = sub.add_parser("encode", help="text -> token ids")
    e.add_argument("--tokenizer", required=True, help="a merges file, or 'byte'")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text to encode")
    src.add_argument("--in", dest="inp", help="a file to encode")
    e.add_argument("--out", help="write the ids as .npy (int32) instead of printing them")
    e.add_argument("--backend", choices=backends, default="c")
    e.add_argument("--show", action="store_true", help="print the tokens with their boundaries")

    d = sub.add_parser("decode", help="token ids -> text (bytes on stdout)")
    d.add_argument("--tokenizer", required=True)
    src = d.add_mutually_exclusive_group(required=True)
    src.add_argument("--ids", help="ids separated by spaces or commas")
    src.add_argument("--in", dest="inp", help="a .npy file of ids")
    return p


def show_tokens(tok, ids):
    """The text with a | between tokens (bytes that are not valid UTF-8 shown as escapes)."""
    return "|".join(tok.decode([i]).decode("utf-8", "backslashreplace") for i in np.asarray(ids).tolist())


def main(argv=()):
    args = _parser().parse_args(list(argv))
    try:
        if args.cmd == "train":
            if args.corpus:
                with open(args.corpus, "rb") as f:
                    text = f.read()
            elif args.stories > 0:
                from pystory.data.storyworld import generate_stories
                text = EOT.join(generate_stories(args.stories, seed=args.seed)).encode()
            else:
                print("tokenizer train: give --corpus FILE or --stories N", file=sys.stderr)
                return 2
            t0 = time.perf_counter()
            tok = BPETokenizer.train(text, args.vocab, backend=args.backend)
            dt = time.perf_counter() - t0
            tok.save(args.out)
            print(f"trained {len(tok.merges)} merges on {len(text):,} bytes in {dt:.2f} s "
                  f"({args.backend}); vocab_size {tok.vocab_size}, <|endoftext|> = {tok.eot_id}")
            print(f"wrote {args.out} and {args.out}.vocab")
        elif args.cmd == "encode":
            tok = load_tokenizer(args.tokenizer, backend=args.backend) if args.tokenizer != "byte" \
                else load_tokenizer("byte")
            if args.text is not None:
                data = args.text.encode()
            else:
                with open(args.inp, "rb") as f:
                    data = f.read()
            ids = tok.encode(data)
            if args.out:
                np.save(args.out, ids.astype(np.int32))
                print(f"{len(data):,} bytes -> {ids.size:,} tokens ({len(data) / max(ids.size, 1):.2f} bytes/token) "
                      f"-> {args.out}")
            elif args.show:
                print(show_tokens(tok, ids))
            else:
                print(" ".join(map(str, ids.tolist())))
        else:
            tok = load_tokenizer(args.tokenizer)
            if args.ids is not None:
                try:
                    ids = np.array([int(x) for x in args.ids.replace(",", " ").split()], np.int64)
                except ValueError:
                    print(f"tokenizer decode: --ids must be integers, got {args.ids!r}", file=sys.stderr)
                    return 2
            else:
                ids = np.load(args.inp)
            sys.stdout.buffer.write(tok.decode(ids))
            sys.stdout.buffer.flush()
    except (ValueError, TypeError, OSError) as e:
        print(f"tokenizer {args.cmd}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
