#ifndef PYSTORY_METRICS_H
#define PYSTORY_METRICS_H
#include <stdint.h>  // int64_t (cffi drops this line; it knows the type)
// Chapter 05: BLEU, Self-BLEU and distinct-n over a corpus of documents given as word ids.
// words: (M,) ids >= 0; offsets: (D+1,) with document d = words[offsets[d] .. offsets[d+1]).
// Hypotheses are documents 0 .. n_hyp-1; references are documents n_hyp .. D-1, or, with
// self_refs (Self-BLEU, n_hyp = D), every document but the hypothesis itself.
void bleu_corpus_scores(double* scores, const int* words, const int* offsets, int n_hyp, int n,
                        int self_refs, int M, int D);
// out[0] = distinct n-grams, out[1] = all n-grams (n-grams never cross a document's end).
void ngram_counts(int64_t* out, const int* words, const int* offsets, int n, int M, int D);
#endif
