"""C bindings for chapter 05's corpus metrics (csrc/metrics.c); the checks are in the
declarations in pystory/metrics.py (pystory.metrics wraps these with the checker)."""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["bleu_corpus_scores", "ngram_counts"]


def bleu_corpus_scores(words, offsets, n_hyp, n, self_refs, M, D):
    # words: (M,), offsets: (D+1,) -> scores: (n_hyp,) float64
    scores = np.empty(n_hyp, np.float64)
    ext().lib.bleu_corpus_scores(ptr(scores), ptr(words), ptr(offsets), n_hyp, n, self_refs, M, D)
    return scores


def ngram_counts(words, offsets, n, M, D):
    # words: (M,), offsets: (D+1,) -> (distinct, total)
    out = np.zeros(2, np.int64)
    ext().lib.ngram_counts(ptr(out), ptr(words), ptr(offsets), n, M, D)
    return int(out[0]), int(out[1])
