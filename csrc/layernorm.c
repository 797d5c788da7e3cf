// Chapter 06 (and 04): layer normalization in C.
//
// x is (N, C) row-major: one row per position, its C channels contiguous.
// Each row is normalized on its own, so the rows are split across threads.
#include <math.h>
#include <string.h>
#include "layernorm.h"

// out = (x - mean) * rstd * w + b per row; mean, rstd: (N,) kept for the backward.
void layernorm_forward(float* restrict out, float* restrict mean, float* restrict rstd,
                       const float* restrict x, const float* restrict w,
                       const float* restrict b, float eps, int N, int C) {
    #pragma omp parallel for if ((long)N * C > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* xr = x + (long)n * C;
        float* outr = out + (long)n * C;
        // Two passes (mean, then variance around it): the one-pass
        // E[x^2] - E[x]^2 loses precision when the mean is large.
        float m = 0.0f;
        for (int c = 0; c < C; c++) m += xr[c];
        m /= C;
        float v = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = xr[c] - m;
            v += d * d;
        }
        v /= C;
        float s = 1.0f / sqrtf(v + eps);
        for (int c = 0; c < C; c++) {
            outr[c] = (xr[c] - m) * s * w[c] + b[c];
        }
        mean[n] = m;
        rstd[n] = s;
    }
}

// dout, x: (N, C), w: (C,), mean, rstd: (N,) -> dx: (N, C), dw, db: (C,)
//
// Self-contained on purpose. Per row, with xhat = (x - mean) * rstd and
// g = dout * w:   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
// dw and db sum over rows; we add rows in order (deterministic) while the
// per-row dx work is split across threads.
void layernorm_backward(float* restrict dx, float* restrict dw, float* restrict db,
                        const float* restrict dout, const float* restrict x,
                        const float* restrict w, const float* restrict mean,
                        const float* restrict rstd, int N, int C) {
    #pragma omp parallel for if ((long)N * C > (1 << 15))
    for (int n = 0; n < N; n++) {
        const float* dr = dout + (long)n * C;
        const float* xr = x + (long)n * C;
        float* dxr = dx + (long)n * C;
        float m = mean[n], s = rstd[n];
        float g_mean = 0.0f, gx_mean = 0.0f;
        for (int c = 0; c < C; c++) {
            float xhat = (xr[c] - m) * s;
            float g = dr[c] * w[c];
            g_mean += g;
            gx_mean += g * xhat;
        }
        g_mean /= C;
        gx_mean /= C;
        for (int c = 0; c < C; c++) {
            float xhat = (xr[c] - m) * s;
            float g = dr[c] * w[c];
            dxr[c] = s * (g - g_mean - xhat * gx_mean);
        }
    }
    memset(dw, 0, sizeof(float) * C);
    memset(db, 0, sizeof(float) * C);
    for (int n = 0; n < N; n++) {
        const float* dr = dout + (long)n * C;
        const float* xr = x + (long)n * C;
        float m = mean[n], s = rstd[n];
        for (int c = 0; c < C; c++) {
            dw[c] += dr[c] * (xr[c] - m) * s;
            db[c] += dr[c];
        }
    }
}
