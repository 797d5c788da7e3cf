"""Chapter 02 benchmark: the embedding backward (scatter-add) and word2vec training.

    .venv/bin/python chapters/02_embeddings/bench.py [--tokens 65536] [--dim 768] [--quick]

Table 1: embedding_backward on B*T tokens of width C, for a small and a GPT-2
vocabulary: numpy (np.add.at), c, cuda atomic / deterministic (GPU only),
PyTorch's embedding backward (when installed).
Table 2: word2vec training throughput (corpus words per second, one epoch,
the same settings): numpy, c, and gensim's Word2Vec (when installed) with the
same number of threads. Writes figures/bench.png and figures/bench.md.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import pystory  # noqa: E402
from pystory import word2vec as W  # noqa: E402
from pystory.bench import (add_bench_args, available, cells, clock_of, figure_path, interleaved,  # noqa: E402
                           markdown_table,
                           preamble, save_figure, synced, write_text)

HERE = os.path.dirname(os.path.abspath(__file__))


def bench_embedding(N, C, vocabs, repeat, clock):
    """embedding_backward on every implementation, interleaved (pystory/bench.py's method)."""
    rows = []
    rng = np.random.default_rng(0)
    names = available(["numpy", "c", "cuda"])
    try:
        import torch
    except ImportError:
        torch = None
    for V in vocabs:
        ids = rng.integers(0, V, N).astype(np.int32)
        dout = rng.standard_normal((N, C)).astype(np.float32)
        fns = {}
        for name in names:
            be = pystory.backend(name)
            i, d = be.asarray(ids), be.asarray(dout)
            versions = ["atomic", "deterministic"] if name == "cuda" else [None]
            for v in versions:
                kw = {} if v is None else {"version": v}
                label = name if v is None else f"cuda {v}"
                fns[label] = synced(lambda be=be, i=i, d=d, kw=kw: be.embedding_backward(i, d, V, **kw), be)
        if torch is not None:
            ti = torch.from_numpy(ids.astype(np.int64))
            td = torch.from_numpy(dout)
            # The backward of torch.nn.functional.embedding: its dense scatter-add kernel.
            fns[f"torch cpu ({torch.get_num_threads()} threads)"] = (
                lambda td=td, ti=ti: torch.ops.aten.embedding_dense_backward(td, ti, V, -1, False))
        times = interleaved(fns, repeat, clock=clock)
        base = times["numpy"].median
        for label, t in times.items():
            rows.append([f"{V:,}", label, *cells(t), N * C * 4 / t.median / 1e9, base / t.median])
    return rows


def corpus_words(n_words):
    sys.path.insert(0, HERE)
    from demo import corpus_text
    import contextlib
    import io
    words = []
    n = 2000
    while len(words) < n_words:
        with contextlib.redirect_stdout(io.StringIO()):   # one "fallback corpus" note is enough
            words = W.tokenize(corpus_text(n, 0))
        n *= 2
    return words[:n_words]


def bench_word2vec(n_words, dim, threads, repeat, clock):
    """One epoch of training on each implementation, interleaved; words/s counts the corpus words in
    the vocabulary (what every implementation trains on: words below min_count are dropped first)."""
    words = corpus_words(n_words)
    vocab = W.build_vocab(words, min_count=5)
    ids = vocab.encode(words)
    kw = dict(dim=dim, window=5, negatives=5, epochs=1, lr=0.025, sample=1e-3, batch=512, seed=0)
    fns, sizes = {}, {}
    for name in available(["numpy", "c"]):
        sub = ids if name == "c" else ids[: ids.size // 20]      # numpy is slow: a twentieth of the corpus
        fns[name] = lambda sub=sub, name=name: W.train(sub, vocab.counts, backend=name, **kw)
        sizes[name] = sub.size
    try:
        from gensim.models import Word2Vec
    except ImportError:
        Word2Vec = None
    if Word2Vec is not None:
        sents = [words[i:i + 1000] for i in range(0, len(words), 1000)]   # gensim caps sentences at 10k words
        model = Word2Vec(vector_size=dim, window=5, negative=5, sample=1e-3, min_count=5, sg=1, hs=0,
                         workers=threads, epochs=1, alpha=0.025, seed=0)
        model.build_vocab(sents)          # not timed, like our build_vocab
        label = f"gensim ({threads} workers)"
        fns[label] = lambda: model.train(sents, total_examples=len(sents), epochs=1)
        sizes[label] = ids.size
    times = interleaved(fns, repeat, min_time=0, clock=clock)
    rows = [[label, sizes[label], *cells(t, 1), sizes[label] / t.median] for label, t in times.items()]
    base = rows[0][4]
    return [r + [r[4] / base] for r in rows], len(vocab)


def plot(emb_rows, w2v_rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    vocabs = sorted({r[0] for r in emb_rows}, key=lambda s: int(s.replace(",", "")))
    labels = list(dict.fromkeys(r[1] for r in emb_rows))
    width = 0.8 / len(labels)
    for k, label in enumerate(labels):
        ys = [next((r[2] for r in emb_rows if r[0] == v and r[1] == label), np.nan) for v in vocabs]
        a.bar(np.arange(len(vocabs)) + k * width, ys, width, label=label)
    a.set_xticks(np.arange(len(vocabs)) + 0.4 - width / 2, [f"V = {v}" for v in vocabs])
    a.set_ylabel("ms (lower is better)")
    a.set_yscale("log")
    a.set_title("embedding backward")
    a.legend(fontsize=8)
    b.bar([r[0] for r in w2v_rows], [r[4] for r in w2v_rows])
    b.set_ylabel("words / s (higher is better)")
    b.set_title("word2vec training")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=65536)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = add_bench_args(ap).parse_args(argv)
    if args.quick:
        args.tokens, args.dim, args.words = 4096, 64, 50_000
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    where = preamble(args.keep_blas_env)
    print(where)

    emb = bench_embedding(args.tokens, args.dim, [4096, 50257], args.repeat, clock_of(args))
    t1 = markdown_table(["V", "implementation", "median ms", "spread", "GB/s of dout", "x numpy"], emb)
    print(f"\nembedding_backward, {args.tokens:,} tokens x C = {args.dim}\n{t1}")

    w2v, V = bench_word2vec(args.words, 100, threads, args.repeat, clock_of(args))
    unit = "CPU s" if args.cpu_time else "s"
    t2 = markdown_table(["implementation", "words", f"median {unit}", "spread", f"words/{unit}", "x numpy"], w2v)
    print(f"\nword2vec skip-gram, dim 100, window 5, 5 negatives, sample 1e-3, vocab {V:,}, 1 epoch\n{t2}")

    plot(emb, w2v, figure_path(HERE, "bench.png", args.refresh_figures))
    cmd = "python chapters/02_embeddings/bench.py " + " ".join(a for a in (argv if argv is not None else sys.argv[1:])
                                                             if a != "--refresh-figures")
    md = (f"`{cmd.strip()}`\n\n{where}\n\nembedding_backward, {args.tokens:,} tokens x C = {args.dim}:\n\n{t1}\n\n"
          f"word2vec (dim 100, window 5, 5 negatives, sample 1e-3, vocab {V:,}, 1 epoch):\n\n{t2}\n")
    write_text(figure_path(HERE, "bench.md", args.refresh_figures), md)


if __name__ == "__main__":
    main()
