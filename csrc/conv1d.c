// Chapter 05: the text CNN's layers in C — conv1d as one matrix multiply, and max-over-time.
//
// conv1d, version 2 (version 1, the five loops of the definition, is csrc/conv1d_naive.c).
// With x channels-last, (B, T, Cin), the window that output position
// t reads, x[b, t:t+K, :], is K*Cin CONTIGUOUS floats, and consecutive
// windows start Cin floats apart. So "im2col" (the matrix of all windows,
// one per row) needs no copy: it is x itself, read with a row stride of Cin
// and a row length of K*Cin (rows overlap). The convolution is then
//
//     out (rows, Cout) = windows (rows, K*Cin) @ w2 (K*Cin, Cout) + b
//
// with w2[k*Cin + c, o] = w[o, c, k]: the weights reordered once, to the
// order (k, c) in which a window holds its numbers. One call of chapter 06's
// blocked matmul (csrc/linear.c) does the work.
//
// Rows: we treat the batch as ONE long sequence of B*T steps. Its windows
// r = 0 .. B*T-K are those of every story (r = b*T + t, t <= T-K) plus K-1
// per story boundary that straddle two stories; those are computed into a
// scratch buffer and never copied out. (K-1)/T extra rows — a few percent —
// buy one large multiply instead of B small ones.
//
// Backward, with the same rows (straddling rows get a zero gradient):
//     dw2 (K*Cin, Cout) = windows.T @ dout      -> dw[o, c, k] = dw2[k*Cin + c, o]
//     dx[s, c] = sum_k sum_o dout[s - k, o] * w[o, c, k]
// The second is a convolution again — of dout, padded with K-1 zero rows at
// both ends, with the kernel flipped in time: the K rows dout[s-K+1 .. s] are
// K*Cout contiguous floats of the padded array, so dx is one more multiply
//     dx (B*T, Cin) = windows of padded dout (B*T, K*Cout) @ w3 (K*Cout, Cin)
// with w3[k'*Cout + o, c] = w[o, c, K-1-k'] (k' = K-1-k: the flip).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "conv1d.h"
#include "linear.h"

// w: (Cout, Cin, K) -> w2: (K*Cin, Cout), w2[(k*Cin + c)*Cout + o] = w[(o*Cin + c)*K + k]
static void reorder_weights(float* restrict w2, const float* restrict w, int Cin, int Cout, int K) {
    for (int o = 0; o < Cout; o++)
        for (int c = 0; c < Cin; c++)
            for (int k = 0; k < K; k++)
                w2[((long)k * Cin + c) * Cout + o] = w[((long)o * Cin + c) * K + k];
}

// x: (B, T, Cin), w: (Cout, Cin, K), b: (Cout,) -> out: (B, T-K+1, Cout)
void conv1d_forward(float* restrict out, const float* restrict x, const float* restrict w,
                    const float* restrict b, int B, int T, int Cin, int Cout, int K) {
    int Tout = T - K + 1;
    long rows = (long)B * T - K + 1;           // windows of the one long sequence
    if (B <= 0 || Tout <= 0 || Cout <= 0) return;
    float* w2 = malloc(sizeof(float) * (long)K * Cin * Cout + 1);
    float* full = malloc(sizeof(float) * rows * Cout);       // (rows, Cout), straddling rows included
    if (!w2 || !full) abort();                // out of memory: a void op has nothing sensible to return
    reorder_weights(w2, w, Cin, Cout, K);
    #pragma omp parallel for if (rows * Cout > (1 << 16))
    for (long r = 0; r < rows; r++) memcpy(full + r * Cout, b, sizeof(float) * Cout);   // start at the bias
    // A(r, j) = x[r*Cin + j] (windows overlap: row stride Cin), B(j, o) = w2[j*Cout + o]
    matmul_accumulate(full, x, Cin, 1, w2, Cout, 1, (int)rows, Cout, K * Cin);
    #pragma omp parallel for if ((long)B * Tout * Cout > (1 << 16))
    for (int bb = 0; bb < B; bb++)            // keep the windows that lie inside story bb
        memcpy(out + (long)bb * Tout * Cout, full + (long)bb * T * Cout, sizeof(float) * Tout * Cout);
    free(full);
    free(w2);
}

// dout: (B, T-K+1, Cout), x: (B, T, Cin), w: (Cout, Cin, K) -> dx: (B, T, Cin), dw: (Cout, Cin, K), db: (Cout,)
void conv1d_backward(float* restrict dx, float* restrict dw, float* restrict db,
                     const float* restrict dout, const float* restrict x, const float* restrict w,
                     int B, int T, int Cin, int Cout, int K) {
    int Tout = T - K + 1;
    long rows = (long)B * T - K + 1;
    memset(dx, 0, sizeof(float) * (long)B * T * Cin);
    memset(dw, 0, sizeof(float) * (long)Cout * Cin * K);
    memset(db, 0, sizeof(float) * Cout);
    if (B <= 0 || Tout <= 0 || Cout <= 0) return;
    // dout on the rows of the one long sequence: zero on the rows that straddle two stories,
    // and K-1 zero rows before and after it (the padding of dx's convolution)
    float* padded = calloc((size_t)((rows + 2 * (K - 1)) * Cout) + 1, sizeof(float));
    float* full = padded + (long)(K - 1) * Cout;
    float* dw2 = calloc((size_t)K * Cin * Cout + 1, sizeof(float));
    float* w3 = malloc(sizeof(float) * ((size_t)K * Cout * Cin + 1));
    if (!padded || !dw2 || !w3) abort();
    #pragma omp parallel for if ((long)B * Tout * Cout > (1 << 16))
    for (int bb = 0; bb < B; bb++)
        memcpy(full + (long)bb * T * Cout, dout + (long)bb * Tout * Cout, sizeof(float) * Tout * Cout);
    // dw2 (K*Cin, Cout) += windows.T @ dout:  A(j, r) = x[r*Cin + j],  B(r, o) = full[r*Cout + o]
    matmul_accumulate(dw2, x, 1, Cin, full, Cout, 1, K * Cin, Cout, (int)rows);
    for (int o = 0; o < Cout; o++)
        for (int c = 0; c < Cin; c++)
            for (int k = 0; k < K; k++)
                dw[((long)o * Cin + c) * K + k] = dw2[((long)k * Cin + c) * Cout + o];
    // dx (B*T, Cin) += A @ w3:  A(s, j) = padded[s*Cout + j] (windows of K rows of dout, stride Cout)
    for (int k = 0; k < K; k++)
        for (int o = 0; o < Cout; o++)
            for (int c = 0; c < Cin; c++)
                w3[((long)(K - 1 - k) * Cout + o) * Cin + c] = w[((long)o * Cin + c) * K + k];
    matmul_accumulate(dx, padded, Cout, 1, w3, Cin, 1, B * T, Cin, K * Cout);
    // db = sum over every position of dout; each thread owns 64 channels and adds rows in order
    long n = (long)B * Tout;
    #pragma omp parallel for if (n * Cout > (1 << 16))
    for (int o0 = 0; o0 < Cout; o0 += 64) {
        int o1 = o0 + 64 < Cout ? o0 + 64 : Cout;
        for (long r = 0; r < n; r++) {
            const float* row = dout + r * Cout;
            #pragma omp simd
            for (int o = o0; o < o1; o++) db[o] += row[o];
        }
    }
    free(w3);
    free(dw2);
    free(padded);
}

// x: (B, T, C) -> out: (B, C), argmax: (B, C). Thread mapping: rows b split across threads;
// for each t, the C channels of x[b, t, :] are read contiguously and compared with the best so far.
void maxpool_time_forward(float* restrict out, int* restrict argmax, const float* restrict x,
                          int B, int T, int C) {
    #pragma omp parallel for if ((long)B * T * C > (1 << 16))
    for (int b = 0; b < B; b++) {
        const float* xb = x + (long)b * T * C;
        float* ob = out + (long)b * C;
        int* ab = argmax + (long)b * C;
        for (int c = 0; c < C; c++) {
            ob[c] = xb[c];
            ab[c] = 0;
        }
        for (int t = 1; t < T; t++) {
            const float* xt = xb + (long)t * C;
            for (int c = 0; c < C; c++) {
                // strictly greater: the FIRST maximum wins a tie; a NaN beats any number (as np.argmax)
                if (xt[c] > ob[c] || (isnan(xt[c]) && !isnan(ob[c]))) {
                    ob[c] = xt[c];
                    ab[c] = t;
                }
            }
        }
    }
}

// dout: (B, C), argmax: (B, C) -> dx: (B, T, C) = dout at (b, argmax[b, c], c), zero elsewhere
void maxpool_time_backward(float* restrict dx, const float* restrict dout, const int* restrict argmax,
                           int B, int T, int C) {
    #pragma omp parallel for if ((long)B * T * C > (1 << 16))
    for (int b = 0; b < B; b++) {
        float* db = dx + (long)b * T * C;
        memset(db, 0, sizeof(float) * (long)T * C);
        for (int c = 0; c < C; c++) db[(long)argmax[(long)b * C + c] * C + c] = dout[(long)b * C + c];
    }
}
