// Chapter 04: the GRU in C — the same two halves as pystory/gru.py.
//
//   gi = x @ w_ih.T + b_ih      every step at once: one call of linear.c's blocked matmul
//   for t: gh = h @ w_hh.T + b_hh, then the gates, elementwise
//
// What changes from NumPy:
//  * Threads own batch rows. Sequence b's recurrence never looks at sequence
//    b', so the OpenMP region spans the WHOLE time loop: thread k takes rows
//    [b0, b1) and runs all T steps on them with no barrier between steps.
//    (Splitting one step's product among threads instead would need a
//    barrier per step; and linear.c would put all B <= 96 rows in one block
//    for one thread anyway.)
//  * The recurrent weights are packed once (matmul_pack_b) into the order
//    linear.c's micro-kernel reads, and reused for all T steps by every
//    thread: repacking 3H x H floats per step would cost as much as the step.
//  * The gate math is one fused loop per row: gh is read once, r, z, n, hn
//    go straight into `gates`, h' into out.
// The backward mirrors it: the per-step gate gradients and dh_prev = dh * z
// + dgh @ w_hh run per thread on its rows (again no barriers), then the
// weight gradients are three big products over all B*T rows at once.
// Every sum has a fixed order whatever the thread count: results are
// deterministic (exact --resume depends on it).
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>
#include "gru.h"
#include "linear.h"
#include "inc/fastmath.h"

// A batch slice per thread when the work is worth waking threads for.
#define PAR_FLOPS 2e6

// The gates' exp and tanh: exp_fast and tanh_fast (csrc/inc/fastmath.h), so a
// loop of them vectorizes — libm's expf and tanhf are one call per element (tanhf
// alone was a quarter of the forward's time). tanh_fast's error is absolute
// (~1e-7), which is what the state needs.
static inline float sigmoidf_(float a) { return 1.0f / (1.0f + exp_fast(-a)); }

// Rows [b0, b1) of B split evenly over the team.
static void my_rows(int B, int* b0, int* b1) {
    int k = omp_get_thread_num(), n = omp_get_num_threads();
    *b0 = (int)((long)B * k / n);
    *b1 = (int)((long)B * (k + 1) / n);
}

long gru_packed_size(int H) {
    // the forward packs w_hh.T (H x 3H), the backward w_hh (3H x H): the larger of the two
    long a = matmul_packed_size(3 * H, H), b = matmul_packed_size(H, 3 * H);
    return a > b ? a : b;
}

// rows (N, C) of out = bias, then out += a @ w.T: one linear layer over N rows.
static void project(float* out, const float* a, const float* w, const float* bias, int N, int C, int OC) {
    #pragma omp parallel for if ((long)N * OC > (1 << 16))
    for (int n = 0; n < N; n++) memcpy(out + (long)n * OC, bias, sizeof(float) * OC);
    matmul_accumulate(out, a, C, 1, w, 1, C, N, OC, C);
}

void gru_forward(float* restrict out, float* restrict gates, float* restrict gi, float* restrict gh,
                 float* restrict packed, const float* restrict x, const float* restrict h0,
                 const float* restrict w_ih, const float* restrict w_hh, const float* restrict b_ih,
                 const float* restrict b_hh, int B, int T, int I, int H) {
    const int G = 3 * H;
    if (B == 0 || T == 0 || H == 0) return;
    // 1. the input projection of every step: gi (B*T, 3H) = x (B*T, I) @ w_ih.T + b_ih
    project(gi, x, w_ih, b_ih, B * T, I, G);
    // 2. w_hh.T packed once: B(k, j) = w_hh[j*H + k], k < H, j < 3H
    matmul_pack_b(packed, w_hh, 1, H, G, H);
    // 3. the recurrence, each thread on its own batch rows
    int par = (double)B * G * H > PAR_FLOPS;
    #pragma omp parallel if (par)
    {
        int b0, b1;
        my_rows(B, &b0, &b1);
        int nb = b1 - b0;
        for (int t = 0; t < T && nb > 0; t++) {
            // h_prev of row b: h0[b] at t = 0, else out[b, t-1]
            const float* hp = t ? out + ((long)b0 * T + t - 1) * H : h0 + (long)b0 * H;
            long shp = t ? (long)T * H : H;                       // stride between rows of h_prev
            float* ghr = gh + (long)b0 * G;
            for (int b = 0; b < nb; b++) memcpy(ghr + (long)b * G, b_hh, sizeof(float) * G);
            matmul_accumulate_packed(ghr, hp, shp, 1, packed, nb, G, H);   // gh = h_prev @ w_hh.T + b_hh
            for (int b = b0; b < b1; b++) {
                const float* gir = gi + ((long)b * T + t) * G;
                const float* g = gh + (long)b * G;
                const float* h = hp + (long)(b - b0) * shp;
                float* o = out + ((long)b * T + t) * H;
                float* s = gates + ((long)b * T + t) * 4 * H;
                #pragma omp simd
                for (int j = 0; j < H; j++) {
                    float r = sigmoidf_(gir[j] + g[j]);
                    float z = sigmoidf_(gir[H + j] + g[H + j]);
                    float hn = g[2 * H + j];
                    float n = tanh_fast(gir[2 * H + j] + r * hn);
                    o[j] = (1.0f - z) * n + z * h[j];
                    s[j] = r;
                    s[H + j] = z;
                    s[2 * H + j] = n;
                    s[3 * H + j] = hn;
                }
            }
        }
    }
}

// Column sums of a (N, C) matrix, in row order (deterministic); threads own columns.
static void column_sums(float* restrict sum, const float* restrict a, int N, int C) {
    #pragma omp parallel for if ((long)N * C > (1 << 16))
    for (int c0 = 0; c0 < C; c0 += 64) {
        int c1 = c0 + 64 < C ? c0 + 64 : C;
        for (int c = c0; c < c1; c++) sum[c] = 0.0f;
        for (int n = 0; n < N; n++) {
            const float* row = a + (long)n * C;
            #pragma omp simd
            for (int c = c0; c < c1; c++) sum[c] += row[c];
        }
    }
}

void gru_backward(float* restrict dx, float* restrict dh0, float* restrict dw_ih, float* restrict dw_hh,
                  float* restrict db_ih, float* restrict db_hh, float* restrict dgi, float* restrict dgh,
                  float* restrict hprev, float* restrict packed, const float* restrict dout,
                  const float* restrict x, const float* restrict h0, const float* restrict w_ih,
                  const float* restrict w_hh, const float* restrict out, const float* restrict gates,
                  int B, int T, int I, int H) {
    const int G = 3 * H;
    const long BT = (long)B * T;
    memset(dh0, 0, sizeof(float) * B * H);
    memset(dx, 0, sizeof(float) * BT * I);
    memset(dw_ih, 0, sizeof(float) * G * I);
    memset(dw_hh, 0, sizeof(float) * G * H);
    if (BT == 0 || H == 0) {
        memset(db_ih, 0, sizeof(float) * G);
        memset(db_hh, 0, sizeof(float) * G);
        return;
    }
    // w_hh packed once for dh += dgh_t (B, 3H) @ w_hh (3H, H): B(k, j) = w_hh[k*H + j]
    matmul_pack_b(packed, w_hh, H, 1, H, G);
    // 1. backprop through time; dh0 holds the running dh of each row
    int par = (double)B * G * H > PAR_FLOPS;
    #pragma omp parallel if (par)
    {
        int b0, b1;
        my_rows(B, &b0, &b1);
        int nb = b1 - b0;
        for (int t = T - 1; t >= 0 && nb > 0; t--) {
            for (int b = b0; b < b1; b++) {
                float* dh = dh0 + (long)b * H;
                const float* d_o = dout + ((long)b * T + t) * H;
                const float* s = gates + ((long)b * T + t) * 4 * H;
                const float* h = t ? out + ((long)b * T + t - 1) * H : h0 + (long)b * H;
                float* di = dgi + ((long)b * T + t) * G;
                float* dg = dgh + ((long)b * T + t) * G;
                #pragma omp simd
                for (int j = 0; j < H; j++) {
                    float d = dh[j] + d_o[j];
                    float r = s[j], z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j];
                    float dan = d * (1.0f - z) * (1.0f - n * n);
                    float daz = d * (h[j] - n) * z * (1.0f - z);
                    float dar = dan * hn * r * (1.0f - r);
                    di[j] = dar;
                    di[H + j] = daz;
                    di[2 * H + j] = dan;
                    dg[j] = dar;
                    dg[H + j] = daz;
                    dg[2 * H + j] = dan * r;
                    dh[j] = d * z;                 // the path through z * h ...
                }
            }
            // ... plus the path through the recurrent product: dh += dgh_t @ w_hh
            matmul_accumulate_packed(dh0 + (long)b0 * H, dgh + ((long)b0 * T + t) * G, (long)T * G, 1,
                                     packed, nb, H, G);
        }
    }
    // 2. the state each step started from: h0, then out[:, :-1]
    #pragma omp parallel for if (BT * H > (1 << 16))
    for (int b = 0; b < B; b++) {
        memcpy(hprev + (long)b * T * H, h0 + (long)b * H, sizeof(float) * H);
        if (T > 1) memcpy(hprev + ((long)b * T + 1) * H, out + (long)b * T * H, sizeof(float) * (T - 1) * H);
    }
    // 3. the weight gradients: three big products over all B*T rows
    matmul_accumulate(dx, dgi, G, 1, w_ih, I, 1, (int)BT, I, G);          // dx = dgi @ w_ih
    matmul_accumulate(dw_ih, dgi, 1, G, x, I, 1, G, I, (int)BT);          // dw_ih = dgi.T @ x
    matmul_accumulate(dw_hh, dgh, 1, G, hprev, H, 1, G, H, (int)BT);      // dw_hh = dgh.T @ h_prev
    column_sums(db_ih, dgi, (int)BT, G);
    column_sums(db_hh, dgh, (int)BT, G);
}
