#ifndef PYSTORY_WORD2VEC_H
#define PYSTORY_WORD2VEC_H
#include <stdint.h>  // uint64_t (cffi drops this line; it knows the types)
// Chapter 02: one step of skip-gram with negative sampling (see csrc/word2vec.c).
// w_in, w_out (V, D) are updated in place; returns the mean loss of the B pairs.
// scratch: caller-owned, at least B * (K + 2) + B * D floats.
float sgns_step(float* w_in, float* w_out, const int* centers, const int* contexts, const int* negatives,
                float lr, float* scratch, int V, int B, int K, int D);
// One pass over the id sequence ids (N,): makes the skip-gram pairs, draws their negatives from
// table (S,) with Philox(seed) at offset, and takes every minibatch step of `batch` pairs.
// losses: at least ceil(2 * window * N / batch) floats (one per batch); scratch_i: N + batch * (K + 2)
// ints; scratch_f: batch * (K + 2) + batch * D floats. Returns the number of pairs.
long long sgns_train(float* w_in, float* w_out, const int* ids, const int* table, float* losses,
                     int* scratch_i, float* scratch_f, int window, int K, int batch, double lr, double done,
                     double total, uint64_t seed, uint64_t offset, int V, int N, int S, int D);
#endif
