// Chapter 05: binary cross-entropy on logits in C — the same formulas as pystory/bce.py.
//
// Every element is independent: one loop, split across threads when it is long.
//   loss     = max(z, 0) - z * y + log1p(exp(-|z|))     (no exp of a positive number)
//   dlogits  = dloss * (sigmoid(z) - y)
#include <math.h>
#include "bce.h"

// z, y: (N,) -> loss: (N,)
void bce_with_logits_forward(float* restrict loss, const float* restrict logits,
                             const float* restrict targets, int N) {
    #pragma omp parallel for if (N > (1 << 16))
    for (int i = 0; i < N; i++) {
        float z = logits[i];
        loss[i] = fmaxf(z, 0.0f) - z * targets[i] + log1pf(expf(-fabsf(z)));
    }
}

// sigmoid without overflow: exp only ever sees -|z| <= 0.
static inline float sigmoid(float z) {
    float e = expf(-fabsf(z));
    return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

// dloss, z, y: (N,) -> dlogits: (N,)
void bce_with_logits_backward(float* restrict dlogits, const float* restrict dloss,
                              const float* restrict logits, const float* restrict targets, int N) {
    #pragma omp parallel for if (N > (1 << 16))
    for (int i = 0; i < N; i++) {
        dlogits[i] = dloss[i] * (sigmoid(logits[i]) - targets[i]);
    }
}
