// Chapter 05: the Gumbel-softmax in C — the same numbers as pystory/gumbel.py.
//
// Rows are independent (one softmax each): the row loop is split across threads.
// The noise comes from chapter 02's philox_uniform, written straight into y;
// each value is then turned into Gumbel noise and the row's softmax in place.
#include <math.h>
#include <string.h>
#include "gumbel.h"
#include "philox.h"

// Half the spacing of philox_uniform's values: u + 2^-25 lies in (0, 1), never 0 or 1.
#define HALF_STEP 0x1p-25

// logits: (N, V) -> y: (N, V), and out = one-hot(argmax y) when out is not NULL
void gumbel_softmax_forward(float* restrict out, float* restrict y, const float* restrict logits,
                            float tau, uint64_t seed, uint64_t offset, int N, int V) {
    if (N <= 0 || V <= 0) return;
    // u for every element at once: y[i] = philox_uniform word offset + i (exact k * 2^-24)
    philox_uniform(y, seed, offset, N * V);
    #pragma omp parallel for if ((long)N * V > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* l = logits + (long)n * V;
        float* yr = y + (long)n * V;
        // pass 1: z = (logits + g) / tau, kept in y, and its max
        float m = -INFINITY;
        for (int v = 0; v < V; v++) {
            double u = (double)yr[v] + HALF_STEP;           // exact: (2k + 1) * 2^-25
            float g = (float)(-log(-log(u)));               // Gumbel noise, in float64 then rounded
            float z = (l[v] + g) / tau;
            yr[v] = z;
            m = fmaxf(m, z);
        }
        // pass 2: exp(z - max) and their sum; pass 3: divide
        float s = 0.0f;
        for (int v = 0; v < V; v++) {
            yr[v] = expf(yr[v] - m);
            s += yr[v];
        }
        for (int v = 0; v < V; v++) yr[v] /= s;
        if (out) {
            // straight-through: one-hot of the first maximum (a NaN counts as the maximum, as np.argmax)
            float* o = out + (long)n * V;
            int best = 0;
            for (int v = 1; v < V; v++) {
                if (yr[v] > yr[best] || (isnan(yr[v]) && !isnan(yr[best]))) best = v;
            }
            memset(o, 0, sizeof(float) * V);
            o[best] = 1.0f;
        }
    }
}

// dy, y: (N, V) -> dlogits = y * (dy - sum(dy * y)) / tau, per row
void gumbel_softmax_backward(float* restrict dlogits, const float* restrict dy, const float* restrict y,
                             float tau, int N, int V) {
    #pragma omp parallel for if ((long)N * V > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* dr = dy + (long)n * V;
        const float* yr = y + (long)n * V;
        float* out = dlogits + (long)n * V;
        float dot = 0.0f;
        for (int v = 0; v < V; v++) dot += dr[v] * yr[v];
        for (int v = 0; v < V; v++) out[v] = yr[v] * (dr[v] - dot) / tau;
    }
}
