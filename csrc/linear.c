// Chapter 06 (and 04): the linear layer in C — a cache-blocked matrix multiply.
//
// Every product of the layer is one call to matmul_accumulate, C += A @ B:
//   forward   out (N, OC) += x (N, C)      @ w.T (C, OC)     (out starts as the bias)
//   backward  dx  (N, C)  += dout (N, OC)  @ w   (OC, C)
//             dw  (OC, C) += dout.T (OC, N) @ x  (N, C)
// A transpose costs nothing: it only swaps the two strides we read A or B with.
//
// Why blocking? A naive triple loop does 2 flops per 2 loads and runs at the
// speed of memory. A fast matmul (the way OpenBLAS and BLIS do it) reuses
// every number it loads many times while it sits in a register or a cache:
//
//   pack all of B into KC-deep blocks of NR-wide strips          (shared, once)
//   for ic in rows of C, MC at a time                            [OpenMP]
//     for pc in K, KC at a time
//       pack A[ic:ic+MC, pc:pc+KC] into MR-tall strips   A block (MC x KC) -> L2
//       for each NR strip of B's block pc:                B strip (KC x NR) -> L1
//         for each MR strip of A:
//           micro-kernel: an MR x NR tile of C kept in registers, KC outer products
//
// Packing copies a block into the exact order the micro-kernel reads it
// (contiguous, zero-padded to whole tiles), so the hot loop has unit stride
// whatever the original strides were, and no edge cases inside.
//
// The micro-kernel is plain C: acc[MR][NR] with constant sizes, the row loop
// unrolled and the column loop marked `omp simd`; gcc -O3 -march=native keeps
// the MR x NR tile in 12 vector registers and does, per step, one broadcast
// of an A value and two vector FMAs per row.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "linear.h"
#include "inc/fastmath.h"

// The micro-tile: MR rows x NR columns of C held in registers. Its width is
// chosen for the vector registers the compiler may use:
#ifdef __AVX512F__
#define NR 32     // two 16-float AVX-512 vectors per row: 6 x 2 = 12 of the 32 registers
#else
#define NR 16     // two 8-float AVX2 vectors per row: 12 of the 16 registers, + B + broadcast
#endif
#define MR 6      // enough independent accumulators to hide the FMA latency
#define MC 96     // rows of A per block:    MC x KC floats = 96 KiB, fits in L2
#define KC 256    // depth of a block:       one NR strip of B = KC x NR = 16-32 KiB, fits in L1

// MADD(a, b, c): a * b + c as one fused multiply-add (csrc/inc/fastmath.h says why).

static inline long min_l(long a, long b) { return a < b ? a : b; }

// Copy A[i0:i0+mc, k0:k0+kc] into strips of MR rows: strip s holds, for each
// k, the MR values A(i0 + s*MR + 0..MR-1, k0 + k). Rows past M are zero.
static void pack_a(float* restrict ap, const float* a, long sam, long sak,
                   int i0, int mc, int k0, int kc, int M) {
    for (int s = 0; s < mc; s += MR) {
        for (int k = 0; k < kc; k++) {
            for (int i = 0; i < MR; i++) {
                int row = i0 + s + i;
                *ap++ = (s + i < mc && row < M) ? a[row * sam + (long)(k0 + k) * sak] : 0.0f;
            }
        }
    }
}

// Copy B[k0:k0+kc, j0:j0+nc] into strips of NR columns: strip s holds, for
// each k, the NR values B(k0 + k, j0 + s*NR + 0..NR-1). Columns past Nc are zero.
static void pack_b_strip(float* restrict bp, const float* b, long sbk, long sbn,
                         int k0, int kc, int col0, int Nc) {
    for (int k = 0; k < kc; k++) {
        const float* brow = b + (long)(k0 + k) * sbk;
        for (int j = 0; j < NR; j++) {
            int col = col0 + j;
            *bp++ = col < Nc ? brow[col * sbn] : 0.0f;
        }
    }
}

// The micro-kernel: C[0:mr, 0:nr] += (MR-strip of A) @ (NR-strip of B), depth kc.
// Each step p is one outer product: column p of the A strip times row p of
// the B strip, added to all MR x NR accumulators.
static inline void micro_kernel(int kc, const float* restrict ap, const float* restrict bp,
                                float* restrict c, long ldc, int mr, int nr) {
    float acc[MR][NR] = {{0.0f}};
    for (int p = 0; p < kc; p++) {
        const float* restrict brow = bp + p * NR;
        #pragma GCC unroll 8
        for (int i = 0; i < MR; i++) {
            float ai = ap[p * MR + i];                    // broadcast one A value ...
            #pragma omp simd
            for (int j = 0; j < NR; j++) {
                acc[i][j] = MADD(ai, brow[j], acc[i][j]);  // ... times a row of B (vector FMA)
            }
        }
    }
    if (mr == MR && nr == NR) {
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) c[i * ldc + j] += acc[i][j];
    } else {  // an edge tile: the padding computed zeros we must not write
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) c[i * ldc + j] += acc[i][j];
    }
}

// B (K x Nc) packed for the micro-kernel: block p (rows p*KC ...) starts at
// p*KC*npad, and inside it strip s (columns s*NR ...) is kc x NR floats at s*kc*NR.
long matmul_packed_size(int Nc, int K) {
    long nstrips = (Nc + NR - 1) / NR;
    return (long)K * nstrips * NR;
}

// Pack strip t of the nblocks * nstrips (block, strip) pairs of B.
static void pack_b_task(float* restrict bpack, const float* b, long sbk, long sbn, int Nc, int K, int t) {
    int nstrips = (Nc + NR - 1) / NR;
    long npad = (long)nstrips * NR;
    int p = t / nstrips, s = t % nstrips;
    int pc = p * KC, kc = (int)min_l(KC, K - pc);
    pack_b_strip(bpack + (long)pc * npad + (long)s * kc * NR, b, sbk, sbn, pc, kc, s * NR, Nc);
}

void matmul_pack_b(float* bpack, const float* b, long sbk, long sbn, int Nc, int K) {
    if (Nc <= 0 || K <= 0) return;
    int ntasks = ((K + KC - 1) / KC) * ((Nc + NR - 1) / NR);
    #pragma omp parallel for schedule(static) if ((long)Nc * K > (1 << 18))
    for (int t = 0; t < ntasks; t++) pack_b_task(bpack, b, sbk, sbn, Nc, K, t);
}

// C[ic:ic+mc, :] += A[ic:ic+mc, :] @ B for one MC-row block of C, B already packed;
// apack is scratch for one packed A block.
static void compute_block(float* c, const float* a, long sam, long sak, const float* bpack,
                          float* apack, int ic, int mc, int M, int Nc, int K) {
    int nstrips = (Nc + NR - 1) / NR;
    long npad = (long)nstrips * NR;
    for (int pc = 0; pc < K; pc += KC) {
        int kc = (int)min_l(KC, K - pc);
        pack_a(apack, a, sam, sak, ic, mc, pc, kc, M);    // A block -> L2
        const float* bblock = bpack + (long)pc * npad;
        for (int s = 0; s < nstrips; s++) {               // B strip -> L1
            int jr = s * NR;
            int nr = (int)min_l(NR, Nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = (int)min_l(MR, mc - ir);
                micro_kernel(kc, apack + (long)ir * kc, bblock + (long)s * kc * NR,
                             c + (long)(ic + ir) * Nc + jr, Nc, mr, nr);
            }
        }
    }
}

#define APACK_FLOATS (((MC + MR - 1) / MR * MR) * KC)   // one A block, whole MR strips

// C += A @ B with B packed by matmul_pack_b, on the calling thread only: for
// callers that split the work themselves (the GRU gives each thread its own
// batch rows and reuses one packed weight matrix for every time step).
void matmul_accumulate_packed(float* c, const float* a, long sam, long sak, const float* bpack,
                              int M, int Nc, int K) {
    if (M <= 0 || Nc <= 0 || K <= 0) return;
    float* apack = malloc(sizeof(float) * APACK_FLOATS);
    if (!apack) abort();
    for (int ic = 0; ic < M; ic += MC) compute_block(c, a, sam, sak, bpack, apack, ic, (int)min_l(MC, M - ic), M, Nc, K);
    free(apack);
}

void matmul_accumulate(float* c, const float* a, long sam, long sak,
                       const float* b, long sbk, long sbn, int M, int Nc, int K) {
    if (M <= 0 || Nc <= 0 || K <= 0) return;
    int ntasks = ((K + KC - 1) / KC) * ((Nc + NR - 1) / NR);
    // All of B, packed once (scratch, freed below).
    float* bpack = malloc(sizeof(float) * matmul_packed_size(Nc, K));
    if (!bpack) abort();  // out of memory: a void op has nothing sensible to return
    int par = (double)M * Nc * K > 1e6;       // few flops are not worth waking threads for
    #pragma omp parallel if (par)
    {
        #pragma omp for schedule(static)
        for (int t = 0; t < ntasks; t++) pack_b_task(bpack, b, sbk, sbn, Nc, K, t);
        // (the one barrier: B is packed before anyone reads it)
        // Each thread then owns whole MC-row blocks of C: no two threads write
        // the same value, so no more barriers (they are costly when a core is busy).
        float* apack = malloc(sizeof(float) * APACK_FLOATS);
        if (!apack) abort();
        #pragma omp for schedule(dynamic, 1)
        for (int ic = 0; ic < M; ic += MC) compute_block(c, a, sam, sak, bpack, apack, ic, (int)min_l(MC, M - ic), M, Nc, K);
        free(apack);
    }
    free(bpack);
}

// The matrix-vector case: fewer rows of x than GEMV_ROWS, as when the GPT
// generates one token (N = B = 1). Each output is then a dot product of a row
// of x with a row of w, and both rows are contiguous. The blocked path would
// first pack all of w (read it with a stride of C, write it again) to use each
// value of it N times: for N = 1 the packing costs more than the product.
// Here w is read once, in order, and each row of it is used for all N rows of
// x while it sits in L1: the speed of memory, which is the limit for N = 1.
#define GEMV_ROWS 8

// out = x @ w.T + b for N < GEMV_ROWS.  x: (N, C), w: (OC, C), b: (OC,) or NULL -> out: (N, OC)
static void linear_forward_gemv(float* restrict out, const float* restrict x, const float* restrict w,
                                const float* restrict b, int N, int C, int OC) {
    // Four rows of w at a time: four streams through memory for the prefetcher, and
    // four independent sums (one FMA chain each) to hide the FMA latency.
    int OC4 = OC / 4 * 4;
    #pragma omp parallel for schedule(static) if ((long)N * OC * C > (1 << 20))
    for (int o = 0; o < OC4; o += 4) {
        const float* restrict w0 = w + (long)o * C;
        const float* restrict w1 = w0 + C;
        const float* restrict w2 = w1 + C;
        const float* restrict w3 = w2 + C;
        for (int n = 0; n < N; n++) {
            const float* restrict xrow = x + (long)n * C;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            #pragma omp simd reduction(+:a0, a1, a2, a3)
            for (int c = 0; c < C; c++) {
                float xc = xrow[c];
                a0 = MADD(xc, w0[c], a0);
                a1 = MADD(xc, w1[c], a1);
                a2 = MADD(xc, w2[c], a2);
                a3 = MADD(xc, w3[c], a3);
            }
            float* restrict orow = out + (long)n * OC + o;
            orow[0] = (b ? b[o] : 0.0f) + a0;
            orow[1] = (b ? b[o + 1] : 0.0f) + a1;
            orow[2] = (b ? b[o + 2] : 0.0f) + a2;
            orow[3] = (b ? b[o + 3] : 0.0f) + a3;
        }
    }
    for (int o = OC4; o < OC; o++) {                 // the last OC % 4 rows, one at a time
        const float* restrict wrow = w + (long)o * C;
        for (int n = 0; n < N; n++) {
            const float* restrict xrow = x + (long)n * C;
            float acc = 0.0f;
            #pragma omp simd reduction(+:acc)
            for (int c = 0; c < C; c++) acc = MADD(xrow[c], wrow[c], acc);
            out[(long)n * OC + o] = (b ? b[o] : 0.0f) + acc;
        }
    }
}

// out = x @ w.T + b.  x: (N, C), w: (OC, C), b: (OC,) or NULL -> out: (N, OC)
void linear_forward(float* restrict out, const float* restrict x, const float* restrict w,
                    const float* restrict b, int N, int C, int OC) {
    if (N < GEMV_ROWS) {
        linear_forward_gemv(out, x, w, b, N, C, OC);
        return;
    }
    // Start every row of out at the bias, then accumulate the product onto it.
    #pragma omp parallel for if ((long)N * OC > (1 << 16))
    for (int n = 0; n < N; n++) {
        float* row = out + (long)n * OC;
        if (b) memcpy(row, b, sizeof(float) * OC);
        else memset(row, 0, sizeof(float) * OC);
    }
    // A = x: A(n, c) = x[n*C + c];  B = w.T: B(c, o) = w[o*C + c]
    matmul_accumulate(out, x, C, 1, w, 1, C, N, OC, C);
}

// dout: (N, OC), x: (N, C), w: (OC, C) -> dx: (N, C), dw: (OC, C), db: (OC,)
void linear_backward(float* restrict dx, float* restrict dw, float* restrict db,
                     const float* restrict dout, const float* restrict x,
                     const float* restrict w, int N, int C, int OC) {
    // The products accumulate, so the gradients start at zero (rows split across threads).
    #pragma omp parallel for if ((long)N * C > (1 << 16))
    for (int n = 0; n < N; n++) memset(dx + (long)n * C, 0, sizeof(float) * C);
    #pragma omp parallel for if ((long)OC * C > (1 << 16))
    for (int o = 0; o < OC; o++) memset(dw + (long)o * C, 0, sizeof(float) * C);
    // dx = dout @ w:    A(n, o) = dout[n*OC + o],  B(o, c) = w[o*C + c]
    matmul_accumulate(dx, dout, OC, 1, w, C, 1, N, C, OC);
    // dw = dout.T @ x:  A(o, n) = dout[n*OC + o],  B(n, c) = x[n*C + c]
    matmul_accumulate(dw, dout, 1, OC, x, C, 1, OC, C, N);
    // db = sum over rows of dout. Each thread owns a range of 64 columns and
    // adds the rows in order, so the result does not depend on the thread count.
    #pragma omp parallel for if ((long)N * OC > (1 << 16))
    for (int o0 = 0; o0 < OC; o0 += 64) {
        int o1 = o0 + 64 < OC ? o0 + 64 : OC;
        for (int o = o0; o < o1; o++) db[o] = 0.0f;
        for (int n = 0; n < N; n++) {
            const float* row = dout + (long)n * OC;
            #pragma omp simd
            for (int o = o0; o < o1; o++) db[o] += row[o];
        }
    }
}
