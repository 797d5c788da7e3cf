"""Chapter 05 (and 04, 06): how good, and how varied, are generated stories?

    bleu(hypotheses, references, n=4)   quality: each hypothesis against the WHOLE reference set, averaged
    self_bleu(samples, n=4)             diversity, inverted: each sample against all the OTHER samples
    distinct_n(samples, n=2)            diversity: distinct n-grams / all n-grams, over all samples
    nll(model, tok, stories)            quality under a reference model: nats per token

Words. Every metric counts WORDS, not tokens, so that models with different
tokenizers compare: the text is lower-cased, split on whitespace, and each
piece split into runs of word characters (letters, digits, apostrophes) and
single punctuation marks:

    words('Once upon a time, "Hi!" said Mia.')
    -> ['once', 'upon', 'a', 'time', ',', '"', 'hi', '!', '"', 'said', 'mia', '.']

BLEU (Papineni et al. 2002) of one hypothesis h against references R, for
n-gram orders k = 1 .. n:

    p_k  = sum over the distinct k-grams g of h of min(count_h(g), max_{r in R} count_r(g))
           / max(1, number of k-grams in h)                       ("clipped" precision)
    BP   = 1 if |h| > r* else exp(1 - r* / |h|)    r* = the reference length closest to |h|
                                                   (ties: the shorter); BP = 0 for an empty h
    BLEU = BP * exp(sum_k log(p_k) / n)

with two rules from nltk (which Texygen, the GAN papers' benchmark, calls):
a p_k of 0 is replaced by 0.1 / its denominator (`SmoothingFunction().method1`),
and BLEU is 0 when no unigram matches. `sentence_bleu` below is that
definition in plain loops, equal to nltk's `sentence_bleu(R, h, weights=(1/n,)*n,
smoothing_function=SmoothingFunction().method1)`.

The definition costs |R| passes over the references per hypothesis, which
is why Texygen's Self-BLEU of a few thousand samples takes tens of minutes.
But max_{r in R} count_r(g) does not depend on h: computed once per k-gram,
a whole corpus costs one pass. For Self-BLEU the references of sample h are
all samples but h, so we keep per k-gram the two largest counts and which
sample holds the largest: the max over the others is the largest count
unless h holds it, then the second largest. `bleu_corpus_scores` (NumPy
below, C in csrc/metrics.c) does exactly this.

k-gram ids. Each k-gram gets an integer id, built from the (k-1)-gram id
and the next word: id_k(p) = the rank of the pair (id_{k-1}(p), word(p+k-1))
among the distinct pairs. No hashing collisions, any n, any vocabulary.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter

import numpy as np

from pystory.declare import array, declare, int32, integer

__all__ = ["words", "sentence_bleu", "bleu", "bleu_scores", "self_bleu", "self_bleu_scores",
           "distinct_n", "nll", "encode_corpus", "bleu_corpus_scores", "ngram_counts"]

_WORD = re.compile(r"[\w']+|[^\w\s]")
EPSILON = 0.1            # nltk SmoothingFunction().method1: a zero count becomes 0.1


def words(text):
    """The words of `text` (see the module doc); a list of words passes through unchanged."""
    if isinstance(text, str):
        return _WORD.findall(text.lower())
    return list(text)


# --- the definition, in plain loops -------------------------------------------------------

def _ngrams(ws, k):
    return Counter(tuple(ws[i:i + k]) for i in range(len(ws) - k + 1))


def closest_length(lengths, n):
    """The length in `lengths` closest to n; a tie goes to the shorter (as nltk)."""
    return min(lengths, key=lambda r: (abs(r - n), r))


def brevity_penalty(hyp_len, ref_len):
    if hyp_len > ref_len:
        return 1.0
    if hyp_len == 0:
        return 0.0
    return math.exp(1 - ref_len / hyp_len)


def combine(clipped, totals, hyp_len, ref_len, n):
    """BLEU from the clipped counts and totals of orders 1..n (lists) and the two lengths."""
    if clipped[0] == 0:
        return 0.0                              # no unigram in common
    logs = []
    for c, t in zip(clipped, totals):
        den = max(1, t)
        logs.append(math.log((c if c else EPSILON) / den))
    return brevity_penalty(hyp_len, ref_len) * math.exp(math.fsum(w * l for w, l in zip([1 / n] * n, logs)))


def sentence_bleu(hypothesis, references, n=4):
    """BLEU-n of one hypothesis against a list of references (texts or word lists): the definition."""
    h = words(hypothesis)
    refs = [words(r) for r in references]
    if not refs:
        raise ValueError("sentence_bleu: needs at least one reference")
    clipped, totals = [], []
    for k in range(1, n + 1):
        counts = _ngrams(h, k)
        ref_counts = [_ngrams(r, k) for r in refs]
        clipped.append(sum(min(c, max(rc[g] for rc in ref_counts)) for g, c in counts.items()))
        totals.append(sum(counts.values()))
    return combine(clipped, totals, len(h), closest_length([len(r) for r in refs], len(h)), n)


# --- the corpus at once (NumPy reference; C in csrc/metrics.c) -----------------------------

def encode_corpus(docs, vocab=None):
    """(ids (M,) int32, offsets (D+1,) int32, vocab): documents as word ids, one flat array.

    docs: texts or word lists. vocab (a dict word -> id) is extended in place when given, so
    several corpora share one numbering."""
    vocab = {} if vocab is None else vocab
    ids, offsets = [], [0]
    for d in docs:
        for w in words(d):
            ids.append(vocab.setdefault(w, len(vocab)))
        offsets.append(len(ids))
    if len(ids) > 2**31 - 1 or len(vocab) > 2**31 - 1:
        raise ValueError("encode_corpus: more than 2^31 - 1 words")
    return np.asarray(ids, np.int32), np.asarray(offsets, np.int32), vocab


def offsets_are_a_partition(words, offsets, M):
    """offsets must start at 0, never decrease, and end at M = len(words)."""
    if offsets[0] != 0 or offsets[-1] != M:
        return f"argument 'offsets' must start at 0 and end at len(words) = {M}, got {offsets[0]} .. {offsets[-1]}"
    if (np.diff(offsets.astype(np.int64)) < 0).any():
        return "argument 'offsets' must not decrease (document d is words[offsets[d]:offsets[d+1]])"


def hypotheses_are_documents(n_hyp, D, self_refs):
    if self_refs and n_hyp != D:
        return f"argument 'n_hyp' must be the number of documents D = {D} for Self-BLEU, got {n_hyp}"
    if self_refs and D < 2:
        return f"Self-BLEU needs at least 2 samples (each is scored against the others), got {D}"
    if not self_refs and not 1 <= n_hyp < D:
        return (f"argument 'n_hyp' must leave at least one reference document: 1 <= n_hyp < D = {D}, "
                f"got {n_hyp}")


def _gram_ids(words, doc, k, prev):
    """(starts, ids): the positions where a k-gram starts (inside one document) and its id."""
    if k == 1:
        return np.arange(words.size), words.astype(np.int64)
    p_prev, id_prev = prev
    keep = np.flatnonzero((p_prev + k - 1 < words.size))
    keep = keep[doc[p_prev[keep] + k - 1] == doc[p_prev[keep]]]          # the k-gram stays in its document
    starts = p_prev[keep]
    pair = (id_prev[keep] << 32) | words[starts + k - 1].astype(np.int64)
    _, ids = np.unique(pair, return_inverse=True)
    return starts, ids.reshape(-1).astype(np.int64)


def _doc_counts(doc_of, ids):
    """Distinct (document, gram) pairs and how often each occurs: (docs, grams, counts)."""
    key = (doc_of.astype(np.int64) << 32) | ids
    uniq, counts = np.unique(key, return_counts=True)
    return (uniq >> 32).astype(np.int64), uniq & 0xFFFFFFFF, counts


def _top_two(docs, grams, counts, G):
    """Per gram: the largest count over documents, the document holding it, the second largest."""
    order = np.lexsort((-counts, grams))           # by gram, then count descending (stable: lower doc first)
    g, c, d = grams[order], counts[order], docs[order]
    first = np.ones(g.size, bool)
    first[1:] = g[1:] != g[:-1]
    top1 = np.zeros(G, np.int64)
    arg1 = np.full(G, -1, np.int64)
    top2 = np.zeros(G, np.int64)
    top1[g[first]], arg1[g[first]] = c[first], d[first]
    second = np.zeros(g.size, bool)
    second[1:] = ~first[1:] & first[:-1]           # the entry right after a gram's first
    top2[g[second]] = c[second]
    return top1, arg1, top2


def _closest_lengths(hyp_len, ref_len, self_refs):
    """r* for every hypothesis: the closest reference length, ties to the shorter; with
    self_refs, hypothesis i's own length ref_len[i] does not count as one of its references."""
    L = np.sort(ref_len)
    out = np.empty(hyp_len.size, np.int64)
    for i, h in enumerate(hyp_len):
        lo_i = np.searchsorted(L, h, "left")            # L[lo_i-1] < h <= L[lo_i]
        hi_i = np.searchsorted(L, h, "right")           # L[hi_i] > h
        equal = hi_i - lo_i - (1 if self_refs else 0)   # references of exactly length h
        if equal > 0:
            out[i] = h
            continue
        below = L[lo_i - 1] if lo_i > 0 else None
        above = L[hi_i] if hi_i < L.size else None
        if below is None or (above is not None and above - h < h - below):
            out[i] = above
        else:
            out[i] = below
    return out


@declare(words=array(int32, "(M,) in [0, 2^31)"), offsets=array(int32, "(D+1,) in [0, M]"),
         n_hyp=integer("[0, 2^31)"), n=integer("[1, 16]"), self_refs=integer("[0, 1]"),
         checks=[offsets_are_a_partition, hypotheses_are_documents], returns="scores float64 (n_hyp,)")
def bleu_corpus_scores(words, offsets, n_hyp, n, self_refs):
    # words: (M,) word ids, offsets: (D+1,): document d is words[offsets[d]:offsets[d+1]].
    # Hypotheses are documents 0 .. n_hyp-1; references the rest, or (self_refs) every other document.
    # -> scores: (n_hyp,) float64, BLEU-n of each hypothesis (nltk's sentence_bleu, method1 smoothing)
    D = offsets.size - 1
    lengths = np.diff(offsets.astype(np.int64))
    doc = np.repeat(np.arange(D), lengths)                        # (M,) the document of each word
    is_ref = np.ones(D, bool) if self_refs else np.arange(D) >= n_hyp
    clipped = np.zeros((n, n_hyp), np.int64)
    totals = np.zeros((n, n_hyp), np.int64)
    prev = None
    for k in range(1, n + 1):
        starts, ids = _gram_ids(words, doc, k, prev)
        prev = (starts, ids)
        G = int(ids.max()) + 1 if ids.size else 0
        docs, grams, counts = _doc_counts(doc[starts], ids)
        ref = is_ref[docs]
        top1, arg1, top2 = _top_two(docs[ref], grams[ref], counts[ref], G)
        hyp = docs < n_hyp
        hd, hg, hc = docs[hyp], grams[hyp], counts[hyp]
        best = np.where((arg1[hg] == hd) & bool(self_refs), top2[hg], top1[hg])   # max over the references
        clipped[k - 1] = np.bincount(hd, weights=np.minimum(hc, best), minlength=n_hyp)
        totals[k - 1] = np.maximum(lengths[:n_hyp] - k + 1, 0)
    ref_len = lengths if self_refs else lengths[n_hyp:]
    r_star = _closest_lengths(lengths[:n_hyp], ref_len, bool(self_refs))
    return np.array([combine(list(clipped[:, i]), list(totals[:, i]), int(lengths[i]), int(r_star[i]), n)
                     for i in range(n_hyp)], np.float64)


@declare(words=array(int32, "(M,) in [0, 2^31)"), offsets=array(int32, "(D+1,) in [0, M]"),
         n=integer("[1, 16]"), checks=[offsets_are_a_partition], returns="distinct int, total int")
def ngram_counts(words, offsets, n):
    # -> (distinct, total): how many different n-grams the documents hold, and how many in all
    D = offsets.size - 1
    doc = np.repeat(np.arange(D), np.diff(offsets.astype(np.int64)))
    prev = None
    for k in range(1, n + 1):
        prev = _gram_ids(words, doc, k, prev)
    ids = prev[1]
    return int(np.unique(ids).size), int(ids.size)


# --- what the chapters call ------------------------------------------------------------------

def _impl(impl):
    """(bleu_corpus_scores, ngram_counts) of `impl`: "numpy", "c", or None (c when it is built),
    behind the checker of their declarations (C trusts its pointers: the checks come first)."""
    if impl is None:
        try:
            from pystory.c import ext
            ext()
            impl = "c"
        except Exception:           # no compiler, or not built: the NumPy reference is always there
            impl = "numpy"
    return _checked(impl)


@functools.lru_cache(maxsize=None)
def _checked(impl):
    from pystory.check import Context, wrap
    if impl == "numpy":
        fns = (bleu_corpus_scores, ngram_counts)
    elif impl == "c":
        from pystory.c import metrics as cm
        fns = (cm.bleu_corpus_scores, cm.ngram_counts)
    else:
        raise ValueError(f"metrics: impl must be 'numpy', 'c' or None, got {impl!r}")
    ctx = Context(impl, np)
    return (wrap(bleu_corpus_scores.declaration, fns[0], ctx), wrap(ngram_counts.declaration, fns[1], ctx))


def bleu_scores(hypotheses, references, n=4, impl=None):
    """(H,) float64: BLEU-n of each hypothesis against the whole reference set."""
    hypotheses, references = list(hypotheses), list(references)
    if not hypotheses:
        return np.zeros(0)
    if not references:
        raise ValueError("bleu: needs at least one reference")
    ids, offsets, _ = encode_corpus(hypotheses + references)
    return _impl(impl)[0](ids, offsets, len(hypotheses), n, 0)


def bleu(hypotheses, references, n=4, impl=None):
    """Mean BLEU-n of the hypotheses, each against all the references (Texygen's BLEU)."""
    s = bleu_scores(hypotheses, references, n, impl)
    return float(s.mean()) if s.size else 0.0


def self_bleu_scores(samples, n=4, impl=None):
    """(S,) float64: BLEU-n of each sample against all the others."""
    samples = list(samples)
    ids, offsets, _ = encode_corpus(samples)
    return _impl(impl)[0](ids, offsets, len(samples), n, 1)


def self_bleu(samples, n=4, impl=None):
    """Mean Self-BLEU-n (Zhu et al. 2018, Texygen): high = the samples repeat each other."""
    return float(self_bleu_scores(samples, n, impl).mean())


def distinct_n(samples, n=2, impl=None):
    """Distinct word n-grams / all word n-grams over all samples (Li et al. 2016); 0 for no n-grams."""
    ids, offsets, _ = encode_corpus(samples)
    distinct, total = _impl(impl)[1](ids, offsets, n)
    return distinct / total if total else 0.0


def nll(model, tok, stories, max_tokens=None):
    """Mean negative log-likelihood (nats per token) of `stories` (texts) under `model`.

    Each story is scored as the model saw stories in training: after the end-of-text
    token, up to block_size - 1 tokens (or max_tokens) of it."""
    be, T = model.be, model.cfg.block_size
    nats, count = 0.0, 0
    for s in stories:
        ids = [tok.eot_id] + list(tok.encode(s))[:max_tokens or T]
        ids = np.asarray(ids[:T], np.int32)
        if ids.size < 2:
            continue
        x, y = be.asarray(ids[None, :-1].copy()), be.asarray(ids[None, 1:].copy())
        _, loss = model.forward(x, y)
        nats += loss * (ids.size - 1)
        count += ids.size - 1
    model.acts = None
    if count == 0:
        raise ValueError("nll: no story has a token to score")
    return nats / count
