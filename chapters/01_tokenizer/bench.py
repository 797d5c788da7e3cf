"""Chapter 01 benchmark: BPE training time and encoding throughput.

    .venv/bin/python chapters/01_tokenizer/bench.py                 # 20,000 stories, 1 thread
    .venv/bin/python chapters/01_tokenizer/bench.py --stories 2000 --threads 2

Rows: numpy, c, cuda (when a GPU is present) and, when installed, HF
`tokenizers` (a byte-level BPE trained to the same vocab size) and `tiktoken`
(an Encoding built from OUR merges and our split pattern: same ids, other
code). Every implementation gets the same thread count (--threads), set
before any library starts its thread pool. Training times include
pre-tokenization and word counting for every row. The emu backend is never timed.
"""
import argparse
import os
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--stories", type=int, default=20000, help="storyworld stories in the corpus")
ap.add_argument("--threads", type=int, default=1, help="threads for every implementation")
ap.add_argument("--vocabs", default="1024,4096")
ap.add_argument("--numpy-bytes", type=int, default=300_000,
                help="the NumPy reference encodes only this prefix (it is slow)")
ap.add_argument("--scale", action="store_true",
                help="instead: the c backend on ~136 MB of Zipfian random words, vocab 32,768")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from pystory.bench import add_bench_args  # noqa: E402
args = add_bench_args(ap).parse_args()
for var in ("OMP_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[var] = str(args.threads)
os.environ["TOKENIZERS_PARALLELISM"] = "true" if args.threads > 1 else "false"

import numpy as np  # noqa: E402

import pystory  # noqa: E402
from pystory.data.storyworld import generate_stories  # noqa: E402
from pystory.tokenizer import EOT, SPLIT_PATTERN_STR, BPETokenizer  # noqa: E402
from pystory.bench import Timing, interleaved, output_dir, preamble, save_figure, write_text  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIG = output_dir(HERE, args.refresh_figures)


def once(fn):
    """One timed call (the slow NumPy reference: a single run, no spread), as a Timing."""
    t0 = time.perf_counter()
    fn()
    return Timing([time.perf_counter() - t0])


def available(name):
    try:
        pystory.backend(name)
        return True
    except pystory.BackendUnavailable:
        return False


def scale():
    """The C trainer at scale: 17M words drawn (Zipf, s = 1.1) from 300,000 random words."""
    rng = np.random.default_rng(0)
    lex = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(2, 12))) for _ in range(300_000)]
    idx = np.minimum(rng.zipf(1.1, 17_000_000), len(lex)) - 1
    text = " ".join(lex[i] for i in idx).encode()
    t0 = time.perf_counter()
    tok = BPETokenizer.train(text, 32768, backend="c")
    t1 = time.perf_counter()
    ids = tok.encode(text, backend="c")
    t2 = time.perf_counter()
    print(f"scale: {len(text) / 1e6:.0f} MB, c backend, {args.threads} thread(s): {len(tok.merges)} merges "
          f"in {t1 - t0:.2f} s; encode {len(text) / 1e6 / (t2 - t1):.1f} MB/s ({len(text) / ids.size:.2f} bytes/token)")


def main():
    global PREAMBLE
    PREAMBLE = preamble(args.keep_blas_env)
    print(PREAMBLE)
    if args.scale:
        return scale()
    vocabs = [int(v) for v in args.vocabs.split(",")]
    stories = generate_stories(args.stories, seed=0)
    text = EOT.join(stories)
    data = text.encode()
    mb = len(data) / 1e6
    print(f"corpus: {args.stories:,} storyworld stories, {mb:.1f} MB; threads: {args.threads}")
    backends = [b for b in ("numpy", "c", "cuda") if available(b)]
    try:
        import tokenizers
    except ImportError:
        tokenizers = None
    try:
        import tiktoken
    except ImportError:
        tiktoken = None

    # Each group's implementations take turns (pystory/bench.py's interleaved method); the NumPy
    # reference is too slow for repeats: it runs once, and its row has no spread.
    rows = []  # (what, implementation, Timing, value: seconds for training, MB/s for encoding)
    toks = {}
    for V in vocabs:
        fns = {}
        for be in backends:
            if be != "numpy":
                fns[be] = lambda be=be, V=V: toks.__setitem__((V, be), BPETokenizer.train(data, V, backend=be))
        if tokenizers is not None:
            from tokenizers import Tokenizer, models, pre_tokenizers, trainers

            def hf_train(V=V):
                hf = Tokenizer(models.BPE())
                hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
                trainer = trainers.BpeTrainer(vocab_size=V, special_tokens=[EOT], show_progress=False,
                                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
                hf.train_from_iterator(stories, trainer=trainer)
                toks[V, "tokenizers"] = hf
            fns["tokenizers"] = hf_train
        times = interleaved(fns, args.repeat, min_time=0)
        if "numpy" in backends:
            times = {"numpy": once(lambda V=V: toks.__setitem__((V, "numpy"),
                                                                BPETokenizer.train(data, V, backend="numpy"))),
                     **times}
        for be, t in times.items():
            rows.append((f"train vocab {V}", be, t, t.median))
            print(f"train V={V:5d} {be:10s} {t.median:8.3f} s  (spread {t.spread_text()})")

    V = vocabs[-1]
    tok = toks[V, "c"] if (V, "c") in toks else toks[V, backends[0]]
    fns, nbytes, out = {}, {}, {}
    for be in backends:
        if be != "numpy":
            fns[be] = lambda be=be: out.__setitem__(be, tok.encode(data, backend=be))
            nbytes[be] = len(data)
    enc = None
    if tiktoken is not None:
        ranks = {tok.vocab[i]: i for i in range(tok.eot_id)}
        enc = tiktoken.Encoding("pystory", pat_str=SPLIT_PATTERN_STR, mergeable_ranks=ranks,
                                special_tokens={EOT: tok.eot_id})
        fns["tiktoken"] = lambda: out.__setitem__("tiktoken", enc.encode(text, allowed_special="all"))
        nbytes["tiktoken"] = len(data)
    if tokenizers is not None and (V, "tokenizers") in toks:
        hf = toks[V, "tokenizers"]
        fns["tokenizers"] = lambda: hf.encode_batch(stories)
        nbytes["tokenizers"] = len(data)
    times = interleaved(fns, args.repeat, min_time=0)
    if "numpy" in backends:
        sample = data[:args.numpy_bytes]
        times = {"numpy": once(lambda: out.__setitem__("numpy", tok.encode(sample, backend="numpy"))), **times}
        nbytes["numpy"] = len(sample)
    for be, t in times.items():
        rate = nbytes[be] / 1e6 / t.median
        rows.append((f"encode (MB/s, vocab {V})", be, t, rate))
        note = {"tiktoken": f"same ids as ours: {enc is not None and out.get('tiktoken') == tok.encode(data, backend='c').tolist()}",
                "tokenizers": "its own vocab, story by story"}.get(be, f"{nbytes[be] / out[be].size:.2f} bytes/token"
                                                                     if be in out else "")
        print(f"encode {be:10s} {rate:8.2f} MB/s  (spread {t.spread_text()}; {note})")

    table = markdown(rows, mb)
    print()
    print(table)
    write_text(os.path.join(FIG, "bench.md"), table + "\n")
    plot(rows)


def markdown(rows, mb):
    cmd = "python chapters/01_tokenizer/bench.py " + " ".join(a for a in sys.argv[1:] if a != "--refresh-figures")
    lines = [f"Corpus: {args.stories:,} storyworld stories ({mb:.1f} MB), {args.threads} thread(s). `{cmd.strip()}`",
             "", PREAMBLE, "", "| what | implementation | result (median) | spread | vs c |", "|---|---|---:|---:|---:|"]
    by = {(w, i): v for w, i, _, v in rows}
    for what, impl, t, v in rows:
        c = by.get((what, "c"))
        if what.startswith("train"):
            res, ratio = f"{v:.3f} s", (f"{v / c:.2f}x the time" if c else "")
        else:
            res, ratio = f"{v:.2f} MB/s", (f"{v / c:.2f}x the speed" if c else "")
        lines.append(f"| {what} | {impl} | {res} | {t.spread_text()} | {ratio} |")
    return "\n".join(lines)


def plot(rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    groups = list(dict.fromkeys(w for w, _, _, _ in rows))
    fig, axes = plt.subplots(1, len(groups), figsize=(4 * len(groups), 3.2))
    for ax, g in zip(np.atleast_1d(axes), groups):
        items = [(i, v) for w, i, _, v in rows if w == g]
        ax.bar([i for i, _ in items], [v for _, v in items], color="tab:blue")
        ax.set_title(g, fontsize=9)
        ax.set_ylabel("seconds" if g.startswith("train") else "MB/s")
        ax.set_yscale("log")
        ax.tick_params(axis="x", labelsize=8, rotation=30)
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "bench.png"), dpi=120)


if __name__ == "__main__":
    main()
