// Chapter 06 (and 04): softmax + cross-entropy in C.
//
// logits (N, V) row-major: one row of V scores per position. Rows are
// independent, so they are split across threads.
//   loss[n]    = logsumexp(logits[n]) - logits[n, t]       (t = targets[n])
//   dlogits[n] = softmax(logits[n]) - onehot(t)            (times the upstream gradient)
#include <math.h>
#include "crossentropy.h"

// A target outside [0, V) would index outside the row: refuse before writing.
static int targets_ok(const int* targets, int N, int V) {
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0 || targets[n] >= V) return 0;
    }
    return 1;
}

int crossentropy_forward(float* restrict losses, float* restrict probs,
                         const float* restrict logits, const int* restrict targets,
                         int N, int V) {
    if (!targets_ok(targets, N, V)) return -1;
    #pragma omp parallel for if ((long)N * V > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* z = logits + (long)n * V;
        float* p = probs + (long)n * V;
        float zmax = -INFINITY;
        for (int i = 0; i < V; i++) zmax = fmaxf(zmax, z[i]);
        float sum = 0.0f;
        for (int i = 0; i < V; i++) {
            p[i] = expf(z[i] - zmax);  // shifted: exp never overflows
            sum += p[i];
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < V; i++) p[i] *= inv;
        losses[n] = logf(sum) - (z[targets[n]] - zmax);
    }
    return 0;
}

// dlogits[n, i] = dlosses[n] * (probs[n, i] - [i == targets[n]])
int crossentropy_backward(float* restrict dlogits, const float* restrict dlosses,
                          const float* restrict probs, const int* restrict targets,
                          int N, int V) {
    if (!targets_ok(targets, N, V)) return -1;
    #pragma omp parallel for if ((long)N * V > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* p = probs + (long)n * V;
        float* d = dlogits + (long)n * V;
        float dl = dlosses[n];
        for (int i = 0; i < V; i++) d[i] = dl * p[i];
        d[targets[n]] -= dl;
    }
    return 0;
}

// The fused classifier (llm.c): losses and the gradient of the MEAN loss,
// d mean(losses) / d logits = (softmax - onehot) / N, without ever storing
// the probabilities: two reads of a row (max and sum, then the gradient)
// and one write.
// Self-contained on purpose (it is homework): it uses nothing else in this file.
int crossentropy_fused(float* restrict losses, float* restrict dlogits,
                       const float* restrict logits, const int* restrict targets,
                       int N, int V) {
    for (int n = 0; n < N; n++) {  // a bad target would index outside its row
        if (targets[n] < 0 || targets[n] >= V) return -1;
    }
    float inv_n = 1.0f / (float)(N > 0 ? N : 1);
    #pragma omp parallel for if ((long)N * V > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* z = logits + (long)n * V;
        float* d = dlogits + (long)n * V;
        int t = targets[n];
        // Pass 1: "online" max and sum in one sweep: when a new maximum
        // appears, rescale the sum collected so far to the new shift.
        float zmax = -INFINITY, sum = 0.0f;
        for (int i = 0; i < V; i++) {
            if (z[i] > zmax) {
                sum *= expf(zmax - z[i]);
                zmax = z[i];
            }
            sum += expf(z[i] - zmax);
        }
        float lse = zmax + logf(sum);         // log sum exp(z)
        losses[n] = lse - z[t];
        // Pass 2: the gradient, straight from the logits.
        for (int i = 0; i < V; i++) {
            float p = expf(z[i] - lse);
            d[i] = (p - (i == t ? 1.0f : 0.0f)) * inv_n;
        }
    }
    return 0;
}
