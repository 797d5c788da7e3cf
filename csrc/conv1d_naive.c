// Chapter 05: conv1d forward, version 1 — the definition as five loops, nothing else.
//
//   out[b, t, o] = bias[o] + sum_k sum_c x[b, t + k, c] * w[o, c, k]
//
// Every output is its own dot product of K*Cin terms, so the (b, t) loops
// are split across threads. It re-reads each weight B*Tout times from
// memory; csrc/conv1d.c (version 2) turns the same sum into one blocked
// matrix multiply over the windows. This file is kept on its own so that it
// compiles alone (the homework's reference, `make grade CH=05`).
#include "conv1d.h"

// x: (B, T, Cin), w: (Cout, Cin, K), b: (Cout,) -> out: (B, T-K+1, Cout)
void conv1d_forward_naive(float* restrict out, const float* restrict x, const float* restrict w,
                          const float* restrict b, int B, int T, int Cin, int Cout, int K) {
    int Tout = T - K + 1;
    #pragma omp parallel for collapse(2) if ((long)B * Tout * Cout * Cin * K > (1 << 18))
    for (int bb = 0; bb < B; bb++) {
        for (int t = 0; t < Tout; t++) {
            const float* window = x + ((long)bb * T + t) * Cin;      // K rows of Cin, contiguous
            float* row = out + ((long)bb * Tout + t) * Cout;
            for (int o = 0; o < Cout; o++) {
                const float* wo = w + (long)o * Cin * K;
                float acc = b[o];
                for (int k = 0; k < K; k++)
                    for (int c = 0; c < Cin; c++) acc += window[(long)k * Cin + c] * wo[(long)c * K + k];
                row[o] = acc;
            }
        }
    }
}
