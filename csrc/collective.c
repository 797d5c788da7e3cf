// Chapter 08: the arithmetic inside the collectives, in C.
//
// x is (N, S) row-major: row r is rank r's copy of one shard of S floats.
// Both loops run over the S (or P) elements, which are independent, so
// OpenMP splits them across cores; the sum over ranks inside stays in rank
// order for every element, whatever the thread count, so the result is the
// same bits as the NumPy reference (ISO C: no fused multiply-add either).
#include "collective.h"

// out[i] = scale * (x[0][i] + x[1][i] + ... + x[N-1][i]), ranks added in order.
// The loop over ranks is inside: one pass over out, N streams over x.
void sum_ranks(float* restrict out, const float* restrict x, float scale, int N, int S) {
    #pragma omp parallel for simd if (S > (1 << 16))
    for (int i = 0; i < S; i++) {
        float s = x[i];
        for (int r = 1; r < N; r++) s += x[(long)r * S + i];
        out[i] = s * scale;
    }
}

// acc[i] += g[i]: the running sum of micro-batch gradients.
void accumulate(float* restrict acc, const float* restrict g, int P) {
    #pragma omp parallel for simd if (P > (1 << 16))
    for (int i = 0; i < P; i++) acc[i] += g[i];
}
