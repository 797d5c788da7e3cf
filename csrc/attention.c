// Chapter 03: softmax and causal multi-head attention in C.
//
// Layout (GPT-2, llm.c): qkv is (B, T, 3C) row-major; for token (b, t) the
// query of head h is the hs floats at qkv[(b*T + t)*3C + h*hs], its key at
// + C, its value at + 2C. So one head's q (or k, or v) row is contiguous:
// every inner loop over the head dimension d streams through memory.
// out is (B, T, C) with the heads side by side.
//
// Two versions of attention, as in the NumPy reference pystory/attention.py:
//   naive  stores the (T, T) probabilities att of every head (B*NH*T*T floats);
//   flash  walks over tiles of keys with an online softmax, keeps only one
//          tile of scores per thread, and saves the row log-sum-exp lse
//          (B*NH*T floats) from which the backward recomputes each tile.
// The caller owns every buffer; nothing here allocates (tiles live on the stack).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention.h"
#include "inc/fastmath.h"

// The flash tiles: BLOCK_Q query rows meet BLOCK_K keys at a time (the names of
// pystory/attention.py and cuda/attention.cu). HEAD_SIZE_MAX bounds the head size
// so that the tiles fit on the stack (the declaration in pystory/attention.py checks it).
#define BLOCK_Q 32
#define BLOCK_K 32
#define HEAD_SIZE_MAX 256

static inline int min_int(int a, int b) { return a < b ? a : b; }

// --- softmax ------------------------------------------------------------------

// y[r, :] = softmax(x[r, :]), x: (R, N). Three passes over a row that sits in
// cache: the max (for stability: every exponent is <= 0), the exponentials
// and their sum, the division.
void softmax_forward(float* restrict y, const float* restrict x, int R, int N) {
    #pragma omp parallel for if ((long)R * N > (1 << 15))
    for (int r = 0; r < R; r++) {
        const float* xr = x + (long)r * N;
        float* yr = y + (long)r * N;
        float maxv = -INFINITY;
        #pragma omp simd reduction(max : maxv)
        for (int i = 0; i < N; i++) maxv = xr[i] > maxv ? xr[i] : maxv;
        float sum = 0.0f;
        #pragma omp simd reduction(+ : sum)
        for (int i = 0; i < N; i++) {
            yr[i] = exp_fast(xr[i] - maxv);
            sum += yr[i];
        }
        float inv = 1.0f / sum;
        #pragma omp simd
        for (int i = 0; i < N; i++) yr[i] *= inv;
    }
}

// dx[r, i] = y[r, i] * (dy[r, i] - sum_j dy[r, j] * y[r, j])
void softmax_backward(float* restrict dx, const float* restrict dy, const float* restrict y, int R, int N) {
    #pragma omp parallel for if ((long)R * N > (1 << 15))
    for (int r = 0; r < R; r++) {
        const float* dyr = dy + (long)r * N;
        const float* yr = y + (long)r * N;
        float* dxr = dx + (long)r * N;
        float dot = 0.0f;
        #pragma omp simd reduction(+ : dot)
        for (int i = 0; i < N; i++) dot += dyr[i] * yr[i];
        #pragma omp simd
        for (int i = 0; i < N; i++) dxr[i] = yr[i] * (dyr[i] - dot);
    }
}

// --- naive attention ----------------------------------------------------------

// out: (B, T, C), att: (B, NH, T, T) written (zeros above the diagonal).
// One (b, h, t) query row per iteration: its scores against keys 0..t, the
// softmax in place, then the weighted sum of the values. Rows are
// independent; row t costs ~t, so OpenMP hands them out dynamically.
void attention_forward_naive(float* restrict out, float* restrict att, const float* restrict qkv,
                             int B, int T, int C, int NH) {
    int C3 = 3 * C, hs = C / NH;
    // multiply-adds of Q K^T under the mask: below ~0.05 ms of work, waking
    // the other cores costs more than it saves, so small calls run serially
    long work = (long)B * NH * T * (T + 1) / 2 * hs;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for collapse(3) schedule(dynamic, 8) if (work > (1L << 18))
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            for (int t = 0; t < T; t++) {
                const float* q = qkv + ((long)b * T + t) * C3 + h * hs;
                float* arow = att + (((long)b * NH + h) * T + t) * T;
                // S[t, t2] = scale * q . k_t2, for t2 <= t only (causal)
                float maxv = -INFINITY;
                for (int t2 = 0; t2 <= t; t2++) {
                    const float* k = qkv + ((long)b * T + t2) * C3 + C + h * hs;
                    float dot = 0.0f;
                    #pragma omp simd reduction(+ : dot)
                    for (int d = 0; d < hs; d++) dot += q[d] * k[d];
                    arow[t2] = dot * scale;
                    maxv = fmaxf(maxv, arow[t2]);
                }
                // P[t, :] = softmax(S[t, :]); the masked entries are 0
                float sum = 0.0f;
                #pragma omp simd reduction(+ : sum)
                for (int t2 = 0; t2 <= t; t2++) {
                    arow[t2] = exp_fast(arow[t2] - maxv);
                    sum += arow[t2];
                }
                float inv = 1.0f / sum;
                for (int t2 = 0; t2 <= t; t2++) arow[t2] *= inv;
                for (int t2 = t + 1; t2 < T; t2++) arow[t2] = 0.0f;
                // out[t] = sum_t2 P[t, t2] v_t2
                float* o = out + ((long)b * T + t) * C + h * hs;
                for (int d = 0; d < hs; d++) o[d] = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) {
                    const float* v = qkv + ((long)b * T + t2) * C3 + 2 * C + h * hs;
                    float a = arow[t2];
                    #pragma omp simd
                    for (int d = 0; d < hs; d++) o[d] += a * v[d];
                }
            }
        }
    }
}

// dqkv: (B, T, 3C) written; datt: (B, NH, T, T) scratch, holds dS afterwards.
// One (b, h) per iteration: dK and dV of a key collect contributions from
// every later query, so a head is owned by one thread and needs no atomics.
void attention_backward_naive(float* restrict dqkv, float* restrict datt, const float* restrict dout,
                              const float* restrict qkv, const float* restrict att,
                              int B, int T, int C, int NH) {
    int C3 = 3 * C, hs = C / NH;
    // multiply-adds of Q K^T under the mask: below ~0.05 ms of work, waking
    // the other cores costs more than it saves, so small calls run serially
    long work = (long)B * NH * T * (T + 1) / 2 * hs;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for collapse(2) if (work > (1L << 18))
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            for (int t = 0; t < T; t++) {  // this head's slices of dqkv start at zero
                float* g = dqkv + ((long)b * T + t) * C3 + h * hs;
                for (int d = 0; d < hs; d++) g[d] = g[C + d] = g[2 * C + d] = 0.0f;
            }
            for (int t = 0; t < T; t++) {
                const float* arow = att + (((long)b * NH + h) * T + t) * T;
                float* drow = datt + (((long)b * NH + h) * T + t) * T;
                const float* dy = dout + ((long)b * T + t) * C + h * hs;
                const float* q = qkv + ((long)b * T + t) * C3 + h * hs;
                float* dq = dqkv + ((long)b * T + t) * C3 + h * hs;
                // out = P V:  dP[t, t2] = dy . v_t2,  dv_t2 += P[t, t2] dy
                for (int t2 = 0; t2 <= t; t2++) {
                    const float* v = qkv + ((long)b * T + t2) * C3 + 2 * C + h * hs;
                    float* dv = dqkv + ((long)b * T + t2) * C3 + 2 * C + h * hs;
                    float dot = 0.0f, a = arow[t2];
                    #pragma omp simd reduction(+ : dot)
                    for (int d = 0; d < hs; d++) {
                        dot += dy[d] * v[d];
                        dv[d] += a * dy[d];
                    }
                    drow[t2] = dot;
                }
                // P = softmax(S):  dS = P * (dP - sum(P * dP)), times the scale of S
                float pdp = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) pdp += arow[t2] * drow[t2];
                for (int t2 = 0; t2 <= t; t2++) drow[t2] = arow[t2] * (drow[t2] - pdp) * scale;
                for (int t2 = t + 1; t2 < T; t2++) drow[t2] = 0.0f;
                // S = Q K^T:  dq_t += dS[t, t2] k_t2,  dk_t2 += dS[t, t2] q_t
                for (int t2 = 0; t2 <= t; t2++) {
                    const float* k = qkv + ((long)b * T + t2) * C3 + C + h * hs;
                    float* dk = dqkv + ((long)b * T + t2) * C3 + C + h * hs;
                    float ds = drow[t2];
                    #pragma omp simd
                    for (int d = 0; d < hs; d++) {
                        dq[d] += ds * k[d];
                        dk[d] += ds * q[d];
                    }
                }
            }
        }
    }
}

// --- flash attention ----------------------------------------------------------

// One (b, h, query tile) of the flash forward. `hs` is a compile-time
// constant at each call site below (16, 32, 64, 128), so the loops over d
// have fixed trip counts: the compiler unrolls them and keeps rows in vector
// registers. always_inline makes one specialised copy per head size.
//
// The register micro-kernel: the tile's query rows go QF = 4 at a time. For a
// key tile, the scores of the 4 rows are 4 x BLOCK_K accumulators that share
// every load of kt (a rank-4 update per d instead of rank-1: 4 independent FMA
// chains, so the FMA latency is hidden); the P V product then loads each value
// row v_j once for the 4 rows' accumulators. With hs = 64 and AVX-512 that is
// 8 score registers, then 16 accumulator registers, of the 32 there are.
#define QF 4
#define VD_MAX 64   // value columns per pass of the P V loop, at most
static inline __attribute__((always_inline)) void
flash_forward_tile(float* restrict out, float* restrict lse, const float* restrict qkv,
                   int b, int h, int it, int T, int C, int NH, const int hs) {
    int C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float kt[HEAD_SIZE_MAX][BLOCK_K];  // one key tile, transposed
    float s[BLOCK_Q][BLOCK_K];         // one tile of scores, then of exp(s - m)
    float acc[BLOCK_Q][HEAD_SIZE_MAX]; // running sum of exp(s - m) v, per query row
    float m[BLOCK_Q], l[BLOCK_Q];
    int i0 = it * BLOCK_Q, nq = min_int(BLOCK_Q, T - i0);
    for (int i = 0; i < BLOCK_Q; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
        for (int d = 0; d < hs; d++) acc[i][d] = 0.0f;
    }
    memset(kt, 0, sizeof(kt[0]) * hs);  // keys past T stay 0, never NaN
    for (int j0 = 0; j0 < i0 + nq; j0 += BLOCK_K) {
        int nk = min_int(BLOCK_K, i0 + nq - j0);
        for (int j = 0; j < nk; j++) {
            const float* k = qkv + ((long)b * T + j0 + j) * C3 + C + h * hs;
            for (int d = 0; d < hs; d++) kt[d][j] = k[d];
        }
        for (int g = 0; g < nq; g += QF) {
            if (j0 > i0 + min_int(g + QF, nq) - 1) continue; // the tile is in the future of all 4 rows
            const float* q[QF];
            for (int r = 0; r < QF; r++) q[r] = qkv + ((long)b * T + i0 + min_int(g + r, nq - 1)) * C3 + h * hs;
            float (*sg)[BLOCK_K] = s + g;                    // the 4 rows' scores
            {   // rank-4: each kt[d] load serves 4 rows; the 4 x BLOCK_K sums are local arrays of
                // fixed size, kept in registers (8 AVX-512 registers) for the whole loop over d
                float s0[BLOCK_K] = {0}, s1[BLOCK_K] = {0}, s2[BLOCK_K] = {0}, s3[BLOCK_K] = {0};
                for (int d = 0; d < hs; d++) {
                    float q0 = q[0][d], q1 = q[1][d], q2 = q[2][d], q3 = q[3][d];
                    #pragma omp simd
                    for (int j = 0; j < BLOCK_K; j++) {
                        float kd = kt[d][j];
                        s0[j] = MADD(q0, kd, s0[j]);
                        s1[j] = MADD(q1, kd, s1[j]);
                        s2[j] = MADD(q2, kd, s2[j]);
                        s3[j] = MADD(q3, kd, s3[j]);
                    }
                }
                for (int j = 0; j < BLOCK_K; j++) {          // the 1/sqrt(hs) once per score, not per FMA
                    sg[0][j] = s0[j] * scale;
                    sg[1][j] = s1[j] * scale;
                    sg[2][j] = s2[j] * scale;
                    sg[3][j] = s3[j] * scale;
                }
            }
            float corr[QF];
            int seen = 0;                                    // keys any of the 4 rows sees
            for (int r = 0; r < QF; r++) {
                int i = g + r;
                int visible = i < nq ? min_int(nk, i0 + i - j0 + 1) : 0;   // keys j0 + j <= i0 + i
                float* si = sg[r];
                if (visible <= 0) {                          // nothing new for this row
                    corr[r] = 1.0f;
                    for (int j = 0; j < BLOCK_K; j++) si[j] = 0.0f;
                    continue;
                }
                seen = visible > seen ? visible : seen;
                float mnew = m[i];
                #pragma omp simd reduction(max : mnew)       // over the whole tile, masked: vectorized
                for (int j = 0; j < BLOCK_K; j++) {          // (a loop to `visible` ran scalar, one
                    float sj = j < visible ? si[j] : -INFINITY;   // max after another: 8% of the time)
                    mnew = sj > mnew ? sj : mnew;
                }
                corr[r] = exp_fast(m[i] - mnew);             // ~0 on the first tile (m = -inf)
                float sum = 0.0f;
                #pragma omp simd reduction(+ : sum)
                for (int j = 0; j < BLOCK_K; j++) {          // whole tile: a fixed trip count vectorizes,
                    float e = exp_fast(si[j] - mnew);         // and so does an exp computed, then masked
                    si[j] = j < visible ? e : 0.0f;           // (not a conditional call of exp_fast)
                    sum += si[j];
                }
                l[i] = l[i] * corr[r] + sum;
                m[i] = mnew;
            }
            float* a0 = acc[g];
            float* a1 = acc[g + 1];
            float* a2 = acc[g + 2];
            float* a3 = acc[g + 3];
            #pragma omp simd
            for (int d = 0; d < hs; d++) {
                a0[d] *= corr[0];
                a1[d] *= corr[1];
                a2[d] *= corr[2];
                a3[d] *= corr[3];
            }
            // acc[g..g+3] += P V, vd columns at a time: the 4 x vd accumulators are local
            // arrays of a size fixed at compile time (hs is), which the compiler keeps in
            // registers for the whole loop over the keys (16 AVX-512 registers for vd = 64);
            // each chunk of v_j is loaded once for the 4 rows. vd: the largest power of 2
            // <= VD_MAX that divides hs.
            const int vd = hs % 64 == 0 ? 64 : hs % 32 == 0 ? 32 : hs % 16 == 0 ? 16 : hs % 8 == 0 ? 8
                         : hs % 4 == 0 ? 4 : hs % 2 == 0 ? 2 : 1;
            const float* vbase = qkv + ((long)b * T + j0) * C3 + 2 * C + h * hs;
            for (int c0 = 0; c0 < hs; c0 += vd) {
                float t0[VD_MAX], t1[VD_MAX], t2[VD_MAX], t3[VD_MAX];
                for (int d = 0; d < vd; d++) {
                    t0[d] = a0[c0 + d];
                    t1[d] = a1[c0 + d];
                    t2[d] = a2[c0 + d];
                    t3[d] = a3[c0 + d];
                }
                for (int j = 0; j < seen; j++) {
                    const float* v = vbase + (long)j * C3 + c0;
                    float p0 = sg[0][j], p1 = sg[1][j], p2 = sg[2][j], p3 = sg[3][j];
                    #pragma omp simd
                    for (int d = 0; d < vd; d++) {
                        t0[d] = MADD(p0, v[d], t0[d]);
                        t1[d] = MADD(p1, v[d], t1[d]);
                        t2[d] = MADD(p2, v[d], t2[d]);
                        t3[d] = MADD(p3, v[d], t3[d]);
                    }
                }
                for (int d = 0; d < vd; d++) {
                    a0[c0 + d] = t0[d];
                    a1[c0 + d] = t1[d];
                    a2[c0 + d] = t2[d];
                    a3[c0 + d] = t3[d];
                }
            }
        }
    }
    for (int i = 0; i < nq; i++) {
        float* o = out + ((long)b * T + i0 + i) * C + h * hs;
        float inv = 1.0f / l[i];
        for (int d = 0; d < hs; d++) o[d] = acc[i][d] * inv;
        lse[((long)b * NH + h) * T + i0 + i] = m[i] + logf(l[i]);
    }
}

// out: (B, T, C), lse: (B, NH, T) written.
// One (b, h, query tile) per iteration. The tile's BLOCK_Q query rows meet the key
// tiles up to the diagonal; each key tile is first copied transposed into kt
// (kt[d][j]) so that the score loop runs over j with unit stride: for each
// query row i and dimension d, s[i][0..BLOCK_K) += q[i][d] * kt[d][0..BLOCK_K) is one
// vector FMA per 16 (AVX-512) keys. The online softmax keeps, per row, the
// running max m, the running sum l of exp(s - m) and the running output acc;
// when the max grows, what was summed so far is rescaled by exp(m_old - m_new).
void attention_forward_flash(float* restrict out, float* restrict lse, const float* restrict qkv,
                             int B, int T, int C, int NH) {
    int hs = C / NH;
    // multiply-adds of Q K^T under the mask: below ~0.05 ms of work, waking
    // the other cores costs more than it saves, so small calls run serially
    long work = (long)B * NH * T * (T + 1) / 2 * hs;
    int ntiles = (T + BLOCK_Q - 1) / BLOCK_Q;
    #pragma omp parallel for collapse(3) schedule(dynamic) if (work > (1L << 18))
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            for (int it = 0; it < ntiles; it++) {
                switch (hs) {
                    case 16:  flash_forward_tile(out, lse, qkv, b, h, it, T, C, NH, 16); break;
                    case 32:  flash_forward_tile(out, lse, qkv, b, h, it, T, C, NH, 32); break;
                    case 64:  flash_forward_tile(out, lse, qkv, b, h, it, T, C, NH, 64); break;
                    case 128: flash_forward_tile(out, lse, qkv, b, h, it, T, C, NH, 128); break;
                    default:  flash_forward_tile(out, lse, qkv, b, h, it, T, C, NH, hs); break;
                }
            }
        }
    }
}

// The backward of one (b, h); it owns that head's dq, dk, dv: no atomics.
// For each tile of BLOCK_K keys, transposed copies of K and V (kt, vt) stay in L1
// while the query rows i >= j0 pass by, QB = 4 at a time:
//   p  = exp(scale q_i . k_j - lse_i)          the forward's P, recomputed
//   dp = dy_i . v_j,  ds = p (dp - D_i) scale  with D_i = dy_i . out_i (= sum_j P dP, see the lesson)
//   dq_i += sum_j ds k_j                        (straight into dqkv)
//   dk_j += sum_i ds q_i,  dv_j += sum_i p dy_i (into the tile's dk_t, dv_t)
// Taking 4 query rows at once means each dk_j, dv_j row is loaded and stored
// once per 4 FMAs instead of once per FMA: the rank-1 updates become rank-4.
// The products are register micro-kernels like the forward's: p and dp of the
// 4 rows are 4 x BLOCK_K sums held in registers over d (each kt[d], vt[d] load
// serves 4 rows); dq of the 4 rows, vd columns at a time, stays in registers
// over the keys (each k_j chunk loaded once for 4 rows); and for dk_j, dv_j the
// 4 rows' chunks of q, then dy, stay in registers while the keys pass by.
// Every multiply-add is one FMA (MADD). Measured on one thread (B 2, NH 12,
// hs 64, T 1024; chapter 03's README): 258 ms before these three changes,
// 212 ms with the branch-free exponentials, 165 ms with the FMAs as well.
#define QB 4

// One query row of a key tile: p_j = exp(s_j - lse) for the visible keys (0 for the others), and
// ds_j = p_j (dp_j - D) scale. The exponential is computed for every j and then masked, so the loop
// has no branch and vectorizes (with `j < visible ? exp_fast(..) : 0` GCC kept it scalar: 15% of
// the backward's time went to scalar exponentials).
static inline void backward_probs(float* restrict p, float* restrict ds, const float* restrict s,
                                  const float* restrict dp, float lse, float D, float scale, int visible) {
    #pragma omp simd
    for (int j = 0; j < BLOCK_K; j++) {
        float pj = exp_fast(s[j] - lse);
        pj = j < visible ? pj : 0.0f;
        p[j] = pj;
        ds[j] = pj * (dp[j] - D) * scale;
    }
}

// acc[j][c0 .. c0+vd) += sum_r coef[r][j] rows[r][c0 .. c0+vd) for the keys j < seen: the
// 4 rows' chunks stay in registers while the keys pass by, and each acc[j] chunk is loaded
// and stored once (dk of a key tile from ds and q, dv from p and dy). vd is a compile-time
// constant at every call (flash_backward_head is specialised per head size).
static inline __attribute__((always_inline)) void
keys_rank4_update(float (*restrict acc)[HEAD_SIZE_MAX], float (*restrict coef)[BLOCK_K],
                  const float* const* rows, int c0, const int vd, int seen) {
    float u0[VD_MAX], u1[VD_MAX], u2[VD_MAX], u3[VD_MAX];
    for (int d = 0; d < vd; d++) {
        u0[d] = rows[0][c0 + d];
        u1[d] = rows[1][c0 + d];
        u2[d] = rows[2][c0 + d];
        u3[d] = rows[3][c0 + d];
    }
    for (int j = 0; j < seen; j++) {
        float* a = acc[j] + c0;
        float a0 = coef[0][j], a1 = coef[1][j], a2 = coef[2][j], a3 = coef[3][j];
        #pragma omp simd
        for (int d = 0; d < vd; d++) a[d] = MADD(a3, u3[d], MADD(a2, u2[d], MADD(a1, u1[d], MADD(a0, u0[d], a[d]))));
    }
}

static inline __attribute__((always_inline)) void
flash_backward_head(float* restrict dqkv, const float* restrict dout, const float* restrict qkv,
                    const float* restrict out, const float* restrict lse,
                    int b, int h, int T, int C, int NH, const int hs) {
    int C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float kt[HEAD_SIZE_MAX][BLOCK_K], vt[HEAD_SIZE_MAX][BLOCK_K];      // the key tile, transposed
    float dk_t[BLOCK_K][HEAD_SIZE_MAX], dv_t[BLOCK_K][HEAD_SIZE_MAX];  // its gradients, over all queries
    float p[QB][BLOCK_K], ds[QB][BLOCK_K];
    for (int t = 0; t < T; t++) {
        float* g = dqkv + ((long)b * T + t) * C3 + h * hs;
        for (int d = 0; d < hs; d++) g[d] = 0.0f;   // dq accumulates; dk, dv are written per tile
    }
    memset(kt, 0, sizeof(kt[0]) * hs);
    memset(vt, 0, sizeof(vt[0]) * hs);
    for (int j0 = 0; j0 < T; j0 += BLOCK_K) {
        int nk = min_int(BLOCK_K, T - j0);
        for (int j = 0; j < nk; j++) {
            const float* k = qkv + ((long)b * T + j0 + j) * C3 + C + h * hs;
            for (int d = 0; d < hs; d++) {
                kt[d][j] = k[d];
                vt[d][j] = k[C + d];
                dk_t[j][d] = dv_t[j][d] = 0.0f;
            }
        }
        for (int i0 = j0; i0 < T; i0 += QB) {
            int nr = min_int(QB, T - i0);               // rows of this group inside T
            const float* qr[QB];
            const float* dyr[QB];
            float lse_r[QB], D[QB];
            int vis[QB];
            for (int r = 0; r < QB; r++) {
                int i = min_int(i0 + r, T - 1);         // rows past T: any valid row, with p = ds = 0
                qr[r] = qkv + ((long)b * T + i) * C3 + h * hs;
                dyr[r] = dout + ((long)b * T + i) * C + h * hs;
                const float* y = out + ((long)b * T + i) * C + h * hs;
                lse_r[r] = lse[((long)b * NH + h) * T + i];
                float Dr = 0.0f;
                #pragma omp simd reduction(+ : Dr)
                for (int d = 0; d < hs; d++) Dr += dyr[r][d] * y[d];
                D[r] = Dr;
                vis[r] = r < nr ? min_int(nk, i0 + r - j0 + 1) : 0;
            }
            {   // scores, then dP, of the 4 rows at once, as in the forward's micro-kernel: each load
                // of kt[d] (then vt[d]) serves 4 rows, whose 4 x BLOCK_K sums stay in registers for the
                // whole loop over d (two loops, not one: 8 x BLOCK_K sums would not fit in registers)
                float s0[BLOCK_K] = {0}, s1[BLOCK_K] = {0}, s2[BLOCK_K] = {0}, s3[BLOCK_K] = {0};
                float e0[BLOCK_K] = {0}, e1[BLOCK_K] = {0}, e2[BLOCK_K] = {0}, e3[BLOCK_K] = {0};
                for (int d = 0; d < hs; d++) {
                    float q0 = qr[0][d] * scale, q1 = qr[1][d] * scale, q2 = qr[2][d] * scale, q3 = qr[3][d] * scale;
                    #pragma omp simd
                    for (int j = 0; j < BLOCK_K; j++) {
                        float kd = kt[d][j];
                        s0[j] = MADD(q0, kd, s0[j]);
                        s1[j] = MADD(q1, kd, s1[j]);
                        s2[j] = MADD(q2, kd, s2[j]);
                        s3[j] = MADD(q3, kd, s3[j]);
                    }
                }
                for (int d = 0; d < hs; d++) {
                    float y0 = dyr[0][d], y1 = dyr[1][d], y2 = dyr[2][d], y3 = dyr[3][d];
                    #pragma omp simd
                    for (int j = 0; j < BLOCK_K; j++) {
                        float vd = vt[d][j];
                        e0[j] = MADD(y0, vd, e0[j]);
                        e1[j] = MADD(y1, vd, e1[j]);
                        e2[j] = MADD(y2, vd, e2[j]);
                        e3[j] = MADD(y3, vd, e3[j]);
                    }
                }
                backward_probs(p[0], ds[0], s0, e0, lse_r[0], D[0], scale, vis[0]);
                backward_probs(p[1], ds[1], s1, e1, lse_r[1], D[1], scale, vis[1]);
                backward_probs(p[2], ds[2], s2, e2, lse_r[2], D[2], scale, vis[2]);
                backward_probs(p[3], ds[3], s3, e3, lse_r[3], D[3], scale, vis[3]);
            }
            int seen = min_int(nk, i0 + nr - j0);       // keys any of the rows sees
            // vd: value columns per pass, as in the forward (the largest power of 2 <= VD_MAX dividing hs)
            const int vd = hs % 64 == 0 ? 64 : hs % 32 == 0 ? 32 : hs % 16 == 0 ? 16 : hs % 8 == 0 ? 8
                         : hs % 4 == 0 ? 4 : hs % 2 == 0 ? 2 : 1;
            const float* kbase = qkv + ((long)b * T + j0) * C3 + C + h * hs;
            for (int c0 = 0; c0 < hs; c0 += vd) {
                // dq_i += sum_j ds_ij k_j: the 4 rows' vd columns of dq stay in registers over the
                // keys, and each chunk of k_j is loaded once for the 4 rows
                float t0[VD_MAX], t1[VD_MAX], t2[VD_MAX], t3[VD_MAX];
                float* dq0 = dqkv + ((long)b * T + i0) * C3 + h * hs + c0;     // row i0 + r at r * C3
                for (int d = 0; d < vd; d++) {
                    t0[d] = dq0[d];
                    t1[d] = nr > 1 ? dq0[C3 + d] : 0.0f;
                    t2[d] = nr > 2 ? dq0[2 * C3 + d] : 0.0f;
                    t3[d] = nr > 3 ? dq0[3 * C3 + d] : 0.0f;
                }
                for (int j = 0; j < seen; j++) {
                    const float* k = kbase + (long)j * C3 + c0;
                    float a0 = ds[0][j], a1 = ds[1][j], a2 = ds[2][j], a3 = ds[3][j];
                    #pragma omp simd
                    for (int d = 0; d < vd; d++) {
                        t0[d] = MADD(a0, k[d], t0[d]);
                        t1[d] = MADD(a1, k[d], t1[d]);
                        t2[d] = MADD(a2, k[d], t2[d]);
                        t3[d] = MADD(a3, k[d], t3[d]);
                    }
                }
                for (int d = 0; d < vd; d++) {
                    dq0[d] = t0[d];
                    if (nr > 1) dq0[C3 + d] = t1[d];
                    if (nr > 2) dq0[2 * C3 + d] = t2[d];
                    if (nr > 3) dq0[3 * C3 + d] = t3[d];
                }
                keys_rank4_update(dk_t, ds, qr, c0, vd, seen);   // dk_j += sum_i ds_ij q_i
                keys_rank4_update(dv_t, p, dyr, c0, vd, seen);   // dv_j += sum_i p_ij dy_i
            }
        }
        for (int j = 0; j < nk; j++) {
            float* g = dqkv + ((long)b * T + j0 + j) * C3 + C + h * hs;
            for (int d = 0; d < hs; d++) {
                g[d] = dk_t[j][d];
                g[C + d] = dv_t[j][d];
            }
        }
    }
}

void attention_backward_flash(float* restrict dqkv, const float* restrict dout, const float* restrict qkv,
                              const float* restrict out, const float* restrict lse,
                              int B, int T, int C, int NH) {
    int hs = C / NH;
    long work = (long)B * NH * T * (T + 1) / 2 * hs;  // as in the forward: small calls run serially
    #pragma omp parallel for collapse(2) schedule(dynamic) if (work > (1L << 18))
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            switch (hs) {  // one specialised copy per common head size, as in the forward
                case 16:  flash_backward_head(dqkv, dout, qkv, out, lse, b, h, T, C, NH, 16); break;
                case 32:  flash_backward_head(dqkv, dout, qkv, out, lse, b, h, T, C, NH, 32); break;
                case 64:  flash_backward_head(dqkv, dout, qkv, out, lse, b, h, T, C, NH, 64); break;
                case 128: flash_backward_head(dqkv, dout, qkv, out, lse, b, h, T, C, NH, 128); break;
                default:  flash_backward_head(dqkv, dout, qkv, out, lse, b, h, T, C, NH, hs); break;
            }
        }
    }
}
