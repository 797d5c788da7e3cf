#ifndef PYSTORY_WORD2VEC_H
#define PYSTORY_WORD2VEC_H
// Chapter 02: one step of skip-gram with negative sampling (see csrc/word2vec.c).
// w_in, w_out (V, D) are updated in place; returns the mean loss of the B pairs.
// scratch: caller-owned, at least B * (K + 2) + B * D floats.
float sgns_step(float* w_in, float* w_out, const int* centers, const int* contexts, const int* negatives,
                float lr, float* scratch, int V, int B, int K, int D);
#endif
