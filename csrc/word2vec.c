// Chapter 02: word2vec's skip-gram with negative sampling, one minibatch step.
//
// The semantics are those of pystory/word2vec.py: every gradient is computed
// from the weights at the start of the step, then all updates are applied
// (summed where a word occurs more than once). Three phases:
//   1. per pair b (parallel): scores, g = sigmoid(s) - label, the loss, and
//      dv[b] = sum_j g[b, j] * w_out[j]   (reads only: pairs are independent)
//   2. w_out[j] -= lr * g[b, j] * w_in[center_b]   for every pair and output word
//   3. w_in[center_b] -= lr * dv[b]
// Phases 2 and 3 write rows that several pairs share, so OpenMP splits the
// *columns* (each thread owns a slice of the D dimensions of every row) and
// every thread walks the pairs in order: no races, no atomics, and the sums
// happen in the same order as NumPy's np.add.at.
#include <math.h>
#include "philox.h"
#include "word2vec.h"

#ifdef _OPENMP
#include <omp.h>
#define THREAD_ID() omp_get_thread_num()
#define NUM_THREADS() omp_get_num_threads()
#else
#define THREAD_ID() 0
#define NUM_THREADS() 1
#endif

static inline int output_word(const int* contexts, const int* negatives, int K, int b, int j) {
    return j == 0 ? contexts[b] : negatives[(long)b * K + (j - 1)];
}

float sgns_step(float* restrict w_in, float* restrict w_out, const int* restrict centers,
                const int* restrict contexts, const int* restrict negatives, float lr,
                float* restrict scratch, int V, int B, int K, int D) {
    (void)V;  // the binding checked every id against V
    if (B <= 0) return 0.0f;
    int J = K + 1;                              // output words per pair: the context, then K negatives
    float* g = scratch;                         // (B, J)  d loss / d score
    float* loss = g + (long)B * J;              // (B,)    the loss of each pair
    float* dv = loss + B;                       // (B, D)  d loss / d w_in[center]

    // One parallel region for the three phases (one fork and join per step, not two), and
    // only for a step big enough to pay for it: at word2vec's usual batch (512 pairs x 6
    // output words x 100 dims, ~30 us of work) waking the second thread and meeting it at
    // the barrier cost more than the half step it did — measured on the CI VM (2 cores,
    // 2026-12-02): 0.48 s on one thread, 0.78 s on two, for the same 300,000-word epoch.
    #pragma omp parallel if ((long)B * J * D > (1 << 21))
    {
        // Phase 1: one pair per iteration, reads only. The end of the `omp for` is a barrier:
        // every score is computed from the old weights before phase 2 writes any.
        #pragma omp for schedule(static)
        for (int b = 0; b < B; b++) {
            const float* v = w_in + (long)centers[b] * D;
            float* dvb = dv + (long)b * D;
            for (int d = 0; d < D; d++) dvb[d] = 0.0f;
            // The loss of output j is softplus(x), x = -s for the context and s for a negative:
            // max(x, 0) + log(1 + e) with e = exp(-|s|), the same e as the sigmoid's. So one expf
            // per output word, and ONE logf per pair: sum_j log(1 + e_j) = log(prod_j (1 + e_j))
            // (each factor lies in (1, 2]: the product of K + 1 of them stays far from overflow).
            float lb = 0.0f, prod = 1.0f;
            for (int j = 0; j < J; j++) {
                const float* u = w_out + (long)output_word(contexts, negatives, K, b, j) * D;
                float s = 0.0f;
                #pragma omp simd reduction(+ : s)
                for (int d = 0; d < D; d++) s += v[d] * u[d];
                float e = expf(-fabsf(s));
                float sig = s >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);    // stable for any s
                float gj = sig - (j == 0 ? 1.0f : 0.0f);
                g[(long)b * J + j] = gj;
                lb += fmaxf(j == 0 ? -s : s, 0.0f);
                prod *= 1.0f + e;
                #pragma omp simd
                for (int d = 0; d < D; d++) dvb[d] += gj * u[d];
            }
            loss[b] = lb + logf(prod);
        }

        // Phases 2 and 3: each thread owns columns [d0, d1) of every row of both
        // matrices. Phase 2 reads w_in's columns [d0, d1) before phase 3 (of the
        // same thread) changes them, so no barrier is needed between the phases.
        {
            int nth = NUM_THREADS(), tid = THREAD_ID();
            int lines = (D + 15) / 16, per = (lines + nth - 1) / nth;   // 16 floats = one cache line
            int d0 = tid * per * 16 < D ? tid * per * 16 : D;
            int d1 = (tid + 1) * per * 16 < D ? (tid + 1) * per * 16 : D;
            for (int b = 0; b < B; b++) {
                const float* v = w_in + (long)centers[b] * D;
                for (int j = 0; j < J; j++) {
                    float coef = -lr * g[(long)b * J + j];
                    float* u = w_out + (long)output_word(contexts, negatives, K, b, j) * D;
                    #pragma omp simd
                    for (int d = d0; d < d1; d++) u[d] += coef * v[d];
                }
            }
            for (int b = 0; b < B; b++) {
                float* v = w_in + (long)centers[b] * D;
                const float* dvb = dv + (long)b * D;
                #pragma omp simd
                for (int d = d0; d < d1; d++) v[d] += -lr * dvb[d];
            }
        }
    }  // the end of the parallel region

    double total = 0.0;                         // in pair order: the same sum on every run
    for (int b = 0; b < B; b++) total += loss[b];
    return (float)(total / B);
}

// --- a whole pass in one call: pairs, negatives and every step ---------------------
//
// sgns_train (pystory/sgns.py has the reference and the stream layout): the
// windows of all N centers come from Philox words offset .. offset+N-1; the
// pairs are made center by center (distance 1 left, 1 right, 2 left, ...)
// into a batch buffer; when it holds `batch` pairs, their K negatives each are
// drawn (Philox words offset + N + p*K .., p the index of the batch's first
// pair, mapped through the unigram table) and sgns_step takes the step. No
// pair list is ever stored: memory is one batch, whatever N is.

// The step on the nb pairs of the batch that starts at pair p0.
static float sgns_train_batch(float* restrict w_in, float* restrict w_out, const int* restrict table,
                              const int* restrict centers, const int* restrict contexts, int* restrict negs,
                              float* restrict scratch, int nb, long long p0, int K, double lr, double done,
                              double total, uint64_t seed, uint64_t offset, int V, int N, int S, int D) {
    long n = (long)nb * K;
    philox_randint(negs, seed, offset + (uint64_t)N + (uint64_t)p0 * (uint64_t)K, (int)n, 0, S > 0 ? S : 1);
    for (long t = 0; t < n; t++) negs[t] = table[negs[t]];
    double frac = 1.0 - (done + (double)p0) / total;          // word2vec's linear decay, floored
    float step_lr = (float)(lr * (frac > 1e-4 ? frac : 1e-4));
    return sgns_step(w_in, w_out, centers, contexts, negs, step_lr, scratch, V, nb, K, D);
}

long long sgns_train(float* restrict w_in, float* restrict w_out, const int* restrict ids,
                     const int* restrict table, float* restrict losses, int* restrict scratch_i,
                     float* restrict scratch_f, int window, int K, int batch, double lr, double done,
                     double total, uint64_t seed, uint64_t offset, int V, int N, int S, int D) {
    int* win = scratch_i;                 // (N,)        the window of each center
    int* centers = win + N;               // (batch,)    the pairs of the batch being filled
    int* contexts = centers + batch;      // (batch,)
    int* negs = contexts + batch;         // (batch, K)  their negatives
    philox_randint(win, seed, offset, N, 1, window + 1);
    long long p0 = 0;                     // pairs in the batches already taken
    int nb = 0, k = 0;                    // pairs in the current batch; batches taken
    for (int i = 0; i < N; i++) {
        for (int d = 1; d <= win[i]; d++) {
            for (int side = -1; side <= 1; side += 2) {
                long j = (long)i + side * d;
                if (j < 0 || j >= N) continue;
                centers[nb] = ids[i];
                contexts[nb] = ids[j];
                if (++nb == batch) {
                    losses[k++] = sgns_train_batch(w_in, w_out, table, centers, contexts, negs, scratch_f, nb, p0,
                                                   K, lr, done, total, seed, offset, V, N, S, D);
                    p0 += nb;
                    nb = 0;
                }
            }
        }
    }
    if (nb > 0) {
        losses[k++] = sgns_train_batch(w_in, w_out, table, centers, contexts, negs, scratch_f, nb, p0, K, lr,
                                       done, total, seed, offset, V, N, S, D);
        p0 += nb;
    }
    return p0;
}
