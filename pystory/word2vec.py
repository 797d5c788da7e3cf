"""Chapter 02: word2vec — skip-gram with negative sampling (Mikolov et al., 2013).

Each word w has two vectors, w_in[w] (as a center word) and w_out[w] (as a
context word), trained so that w_in[c] . w_out[o] is high for words o seen
near c and low for K "negative" words drawn at random. The ops and their math
are in pystory/sgns.py (the same names in csrc/word2vec.c and cuda/word2vec.cu):
sgns_step takes one minibatch step; sgns_train makes the pairs, draws the
negatives and takes every step of a pass, in one call.

The data side (pure NumPy, drawing every random number from Philox):
    build_vocab(words, min_count)           -> Vocab: words by frequency, counts, id of each word
    keep_probability(counts, t)             word2vec's subsampling of frequent words
    unigram_table(counts, size, power)      the table negatives are drawn from
    skipgram_pairs(ids, window, rng)        (center, context) pairs with word2vec's shrinking window
    train(...)                              one sgns_train per epoch, on any backend
    nearest(...), analogy(...)              what the vectors learned
This module sits above the backend registry (train picks a backend); the
op's NumPy reference is pystory/sgns.py.
"""
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pystory.philox import Philox
from pystory import sgns
from pystory.sgns import sgns_loss, sgns_step, sgns_train, sigmoid, softplus  # noqa: F401 (the ops, pystory/sgns.py)


# --- the data side -------------------------------------------------------------

@dataclass
class Vocab:
    words: list          # id -> word, most frequent first
    counts: np.ndarray   # id -> count in the corpus (int64)
    index: dict          # word -> id

    def __len__(self):
        return len(self.words)

    def encode(self, words):
        """Ids of the words that are in the vocabulary (others are dropped, as word2vec does)."""
        ix = self.index
        return np.array([ix[w] for w in words if w in ix], dtype=np.int32)


def tokenize(text):
    """Lower-case words; punctuation and the story separator are dropped."""
    import re
    return re.findall(r"[a-z']+", text.replace("<|endoftext|>", " ").lower())


def build_vocab(words, min_count=5):
    counts = Counter(words)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return Vocab(kept, np.array([counts[w] for w in kept], np.int64), {w: i for i, w in enumerate(kept)})


def keep_probability(counts, t=1e-3):
    """word2vec's subsampling: a word of frequency f = count / total is kept
    with probability (sqrt(f / t) + 1) * t / f (capped at 1). Words much more
    frequent than t ("the", "a") are mostly dropped: they carry little meaning
    and would dominate the pairs; rare words are always kept."""
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / t) + 1) * t / f)


def subsample(ids, counts, rng, t=1e-3):
    """The ids that survive subsampling, in order (draws len(ids) uniforms from rng)."""
    keep = keep_probability(counts, t).astype(np.float32)
    return ids[rng.uniform(ids.size) < keep[ids]]


def unigram_table(counts, size=1_000_000, power=0.75):
    """An int32 table in which word i fills a share proportional to count_i^power.
    A uniform index into it draws a negative; 0.75 lifts rare words a little
    above their frequency, which the paper found works best."""
    p = counts.astype(np.float64) ** power
    ends = np.round(np.cumsum(p) / p.sum() * size).astype(np.int64)
    return np.repeat(np.arange(len(counts), dtype=np.int32), np.diff(np.concatenate([[0], ends])))


def skipgram_pairs(ids, window, rng):
    """All (center, context) pairs of the id sequence, with word2vec's dynamic
    window (pystory/sgns.py's skipgram_pairs, what sgns_train makes inside):
    reads len(ids) windows from the Philox stream `rng`.
    Returns (centers, contexts), int32, in order of the center's position."""
    return sgns.skipgram_pairs(ids, window, rng.seed, rng._advance(ids.size))


def init_weights(V, D, seed=0):
    """word2vec's initialisation: w_in uniform in [-0.5/D, 0.5/D), w_out zero."""
    w_in = (Philox(seed).uniform(V * D).reshape(V, D) - np.float32(0.5)) / np.float32(D)
    return w_in, np.zeros((V, D), np.float32)


def train(ids, counts, *, dim=64, window=5, negatives=5, epochs=1, lr=0.025, batch=512,
          sample=1e-3, seed=0, backend=None, log_every=0, table_size=1_000_000):
    """Train skip-gram with negative sampling on the id sequence `ids`.

    Every random choice (subsampling, windows, negatives, the initial weights)
    comes from Philox(seed), so two backends given the same seed see the same
    batches and make the same updates up to float rounding. The learning rate
    falls linearly to lr * 1e-4 over the run, as in word2vec. Each epoch is one
    call of the op sgns_train (pairs, negatives and steps inside the backend).
    Returns (w_in, w_out, losses): the weights as NumPy arrays and the mean
    loss of every batch.
    """
    import pystory
    be = backend if backend is not None else pystory.backend("numpy")
    if isinstance(be, str):
        be = pystory.backend(be)
    V = len(counts)
    rng = Philox(seed, offset=2**40)        # words 0 .. 2^40 are left to init_weights
    table = be.asarray(unigram_table(counts, table_size))
    w_in, w_out = init_weights(V, dim, seed)
    w_in, w_out = be.asarray(w_in), be.asarray(w_out)
    losses = []
    kept_estimate = int(keep_probability(counts, sample)[ids].sum()) * epochs
    total_pairs = max(1, kept_estimate * (window + 1))   # 2 * E[b] = window + 1 pairs per kept word
    done = 0
    for _ in range(epochs):
        kept = subsample(ids, counts, rng, sample)
        # The stream after subsampling: len(kept) windows, then `negatives` words per pair.
        epoch_losses, pairs = be.sgns_train(w_in, w_out, be.asarray(kept), table, window, negatives, batch, lr,
                                            float(done), float(total_pairs), rng.seed, rng.offset)
        rng._advance(kept.size + pairs * negatives)
        epoch_losses = be.to_numpy(epoch_losses)
        if log_every:
            for k in range(log_every, len(epoch_losses) + 1, log_every):
                at = done + k * batch
                print(f"  batch {len(losses) + k:6d}  pairs {min(at, done + pairs):9d}  "
                      f"lr {sgns.step_lr(lr, at - batch, total_pairs):.4f}  loss {epoch_losses[k - log_every:k].mean():.4f}")
        losses.extend(epoch_losses.tolist())
        done += pairs
    return be.to_numpy(w_in), be.to_numpy(w_out), np.array(losses)


def normalize(w):
    return w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)


def nearest(w, vocab, word, k=5):
    """The k words whose vectors have the highest cosine similarity to `word`'s."""
    wn = normalize(w)
    sims = wn @ wn[vocab.index[word]]
    order = [i for i in np.argsort(-sims) if vocab.words[i] != word][:k]
    return [(vocab.words[i], float(sims[i])) for i in order]


def analogy(w, vocab, a, b, c, k=3):
    """a is to b as c is to ?: the words nearest to b - a + c (a, b, c excluded)."""
    wn = normalize(w)
    q = wn[vocab.index[b]] - wn[vocab.index[a]] + wn[vocab.index[c]]
    sims = wn @ (q / np.linalg.norm(q))
    order = [i for i in np.argsort(-sims) if vocab.words[i] not in (a, b, c)][:k]
    return [(vocab.words[i], float(sims[i])) for i in order]
