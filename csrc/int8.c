// Chapter 07: int8 quantization and the int8 linear layer in C.
//
// Two helpers (quantize_int8, dequantize_int8) and one op:
//   linear_forward_int8   quantize each row of x to int8 (its own scale), then
//                         acc[n, o] = sum_c xq[n, c] * wq[o, c] in int32 (exact),
//                         out[n, o] = (float)acc * (sx[n] * scale[o]) + b[o].
//
// The dot products are where the time goes. One of three, chosen when the
// file is compiled (-march=native turns on what the CPU has; PYSTORY_NATIVE=0
// builds get the portable loop):
//   0 portable   a plain int32 loop (gcc may vectorize it; no instruction set assumed)
//   1 AVX2       32 bytes a step: vpmaddubsw multiplies unsigned x signed bytes and
//                adds neighbouring pairs into int16, vpmaddwd adds pairs of those into int32
//   2/3 VNNI     vpdpbusd does all of that in one instruction (AVX-512 VNNI with VL,
//                or AVX-VNNI): 4 byte products summed straight into each int32 lane
// vpmaddubsw and vpdpbusd want their first operand UNSIGNED. The sign trick
// (llama.cpp, ggml): |x| is unsigned, and sign(x) moves onto w:
//     x * w = |x| * (sign(x) * w)
// This is exact when no value is -128 (|-128| does not fit, and -(-128)
// overflows), which is why the grid is [-127, 127]; pairs then sum to at most
// 2 * 127 * 127 = 32258 < 32767, so vpmaddubsw never saturates.
//
// Layout: rows are contiguous (x: N x C floats, wq: OC x C bytes). A micro-kernel
// takes one quantized x row (kept in L1) against 4 weight rows at a time, so
// every load of x feeds 4 dot products; with VNNI and N >= 4, a 4 x 4 tile of
// x rows and weight rows (dot_4x4_offset) reuses every load 4 times. OpenMP
// splits the output rows o (weight rows) between threads: each thread reads its
// own slice of the weights once.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "int8.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define INT8_PATH 2
#elif defined(__AVXVNNI__)
#define INT8_PATH 3
#elif defined(__AVX2__)
#define INT8_PATH 1
#else
#define INT8_PATH 0
#endif

#define QMAX 127

int int8_simd_path(void) { return INT8_PATH; }

// One row: amax, the scale, and q = clamp(round(x * 127 / amax)). rintf rounds in the
// current rounding mode, which is to nearest, ties to even (as np.rint and CUDA's
// __float2int_rn); unlike nearbyintf it may flag "inexact", so the compiler turns it
// into one instruction (roundss) instead of a library call that saves the FP state.
static void quantize_row(int8_t* restrict q, float* restrict scale, const float* restrict x, int C) {
    float amax = 0.0f;
    for (int c = 0; c < C; c++) {
        float a = fabsf(x[c]);
        amax = a > amax ? a : amax;
    }
    float inv = amax > 0.0f ? (float)QMAX / amax : 0.0f;
    for (int c = 0; c < C; c++) {
        float v = x[c] * inv;
        if (!(v == v)) v = 0.0f;                       // NaN (an inf or NaN input): 0, never UB
        v = rintf(v);
        q[c] = (int8_t)(v > QMAX ? QMAX : v < -QMAX ? -QMAX : v);
    }
    *scale = amax / (float)QMAX;
}

// x: (R, C) -> q: (R, C) int8, scale: (R,)
void quantize_int8(int8_t* restrict q, float* restrict scale, const float* restrict x, int R, int C) {
    #pragma omp parallel for if ((long)R * C > (1 << 18))
    for (int r = 0; r < R; r++) quantize_row(q + (long)r * C, scale + r, x + (long)r * C, C);
}

// q: (R, C) int8, scale: (R,) -> out: (R, C) = q * scale
void dequantize_int8(float* restrict out, const int8_t* restrict q, const float* restrict scale, int R, int C) {
    #pragma omp parallel for if ((long)R * C > (1 << 18))
    for (int r = 0; r < R; r++) {
        const int8_t* qr = q + (long)r * C;
        float* o = out + (long)r * C;
        float s = scale[r];
        for (int c = 0; c < C; c++) o[c] = (float)qr[c] * s;
    }
}

int32_t dot_int8(const int8_t* a, const int8_t* b, int n) {
    int32_t acc = 0;
    for (int i = 0; i < n; i++) acc += (int32_t)a[i] * (int32_t)b[i];
    return acc;
}

#if INT8_PATH > 0
// acc (8 int32 lanes) += the 32 byte products of |x| (unsigned) and sign(x) * w (signed), 4 per lane.
static inline __m256i dot32(__m256i acc, __m256i ax, __m256i sw) {
#if INT8_PATH == 2
    return _mm256_dpbusd_epi32(acc, ax, sw);                      // VNNI: one instruction
#elif INT8_PATH == 3
    return _mm256_dpbusd_avx_epi32(acc, ax, sw);
#else
    __m256i pairs = _mm256_maddubs_epi16(ax, sw);                 // 16 int16: a0*b0 + a1*b1, ...
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));   // 8 int32
#endif
}

static inline int32_t hsum(__m256i v) {                           // the 8 lanes added
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}
#endif

// acc[j] = xq . w[j] for the 4 weight rows w0..w3 (each C bytes).
static inline void dot_1x4(int32_t acc[4], const int8_t* restrict xq, const int8_t* restrict w0,
                           const int8_t* restrict w1, const int8_t* restrict w2,
                           const int8_t* restrict w3, int C) {
    int c = 0;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if INT8_PATH > 0
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (; c + 32 <= C; c += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i*)(xq + c));
        __m256i ax = _mm256_sign_epi8(x, x);                       // |x|, read as unsigned
        s0 = dot32(s0, ax, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i*)(w0 + c)), x));
        s1 = dot32(s1, ax, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i*)(w1 + c)), x));
        s2 = dot32(s2, ax, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i*)(w2 + c)), x));
        s3 = dot32(s3, ax, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i*)(w3 + c)), x));
    }
    a0 = hsum(s0); a1 = hsum(s1); a2 = hsum(s2); a3 = hsum(s3);
#endif
    for (; c < C; c++) {                                           // the tail (and the portable path)
        int32_t xv = xq[c];
        a0 += xv * w0[c]; a1 += xv * w1[c]; a2 += xv * w2[c]; a3 += xv * w3[c];
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

#if INT8_PATH == 2
// For many rows (a prompt) with AVX-512 VNNI: the unsigned-offset trick (oneDNN's)
// instead of the sign trick. xu = xq + 128 is a valid unsigned byte, and
//     xq . w = xu . w - 128 * sum(w)
// so a 4 x 4 tile of dot products costs 4 + 4 loads and 16 vpdpbusd per 32 bytes,
// with no vpsignb per (x row, w row) pair; sum(w) is computed once per call. The 16
// accumulators and 5 operands fit because AVX-512VL has 32 vector registers.
// vpdpbusd adds four u8 x s8 products into int32 without saturating, so this is exact;
// AVX2's vpmaddubsw would saturate at 255 * 127 * 2, which is why AVX2 keeps the sign trick.
static void dot_4x4_offset(int32_t acc[4][4], const uint8_t* const xu[4], const int8_t* const w[4],
                           const int32_t wsum[4], int C) {
    __m256i s[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) s[i][j] = _mm256_setzero_si256();
    int c = 0;
    for (; c + 32 <= C; c += 32) {
        __m256i w0 = _mm256_loadu_si256((const __m256i*)(w[0] + c));
        __m256i w1 = _mm256_loadu_si256((const __m256i*)(w[1] + c));
        __m256i w2 = _mm256_loadu_si256((const __m256i*)(w[2] + c));
        __m256i w3 = _mm256_loadu_si256((const __m256i*)(w[3] + c));
        for (int i = 0; i < 4; i++) {
            __m256i x = _mm256_loadu_si256((const __m256i*)(xu[i] + c));
            s[i][0] = _mm256_dpbusd_epi32(s[i][0], x, w0);
            s[i][1] = _mm256_dpbusd_epi32(s[i][1], x, w1);
            s[i][2] = _mm256_dpbusd_epi32(s[i][2], x, w2);
            s[i][3] = _mm256_dpbusd_epi32(s[i][3], x, w3);
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = hsum(s[i][j]) - 128 * wsum[j];   // wsum: the 32-byte part
    for (; c < C; c++)                                                            // the tail, signed
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) acc[i][j] += ((int32_t)xu[i][c] - 128) * w[j][c];
}
#endif

// x: (N, C), wq: (OC, C) int8, scale: (OC,), b: (OC,) or NULL -> out: (N, OC)
void linear_forward_int8(float* restrict out, const float* restrict x, const int8_t* restrict wq,
                         const float* restrict scale, const float* restrict b, int N, int C, int OC) {
    if (N <= 0 || OC <= 0) return;
    // Scratch: x quantized, one scale per row (N * (C + 4) bytes, freed below).
    int8_t* xq = malloc((size_t)N * (C > 0 ? C : 1));
    float* sx = malloc(sizeof(float) * (size_t)N);
    if (!xq || !sx) abort();            // out of memory: a void op has nothing sensible to return
    quantize_int8(xq, sx, x, N, C);
    int n_tiled = 0;                        // rows done by the 4 x 4 tile (VNNI builds, N >= 4)
#if INT8_PATH == 2
    uint8_t* xu = NULL;
    int32_t* wsum = NULL;
    if (N >= 4) {
        n_tiled = N / 4 * 4;
        int C32 = C / 32 * 32;
        xu = malloc((size_t)n_tiled * (C > 0 ? C : 1));
        wsum = malloc(sizeof(int32_t) * (size_t)OC);
        if (!xu || !wsum) abort();
        for (long i = 0; i < (long)n_tiled * C; i++) xu[i] = (uint8_t)(xq[i] + 128);
        for (int o = 0; o < OC; o++) {
            int32_t t = 0;
            for (int c = 0; c < C32; c++) t += wq[(long)o * C + c];
            wsum[o] = t;
        }
    }
#endif
    int par = (double)N * OC * C > 2e5;     // a small product is not worth waking threads for
    #pragma omp parallel for schedule(static) if (par)
    for (int o0 = 0; o0 < OC; o0 += 4) {                           // 4 weight rows per step
        const int8_t* w[4];
        int last = OC - 1;
        for (int j = 0; j < 4; j++) w[j] = wq + (long)(o0 + j < OC ? o0 + j : last) * C;  // pad: repeat the last row
#if INT8_PATH == 2
        for (int n0 = 0; n0 < n_tiled; n0 += 4) {
            int32_t acc[4][4];
            const uint8_t* xr[4] = {xu + (long)n0 * C, xu + (long)(n0 + 1) * C, xu + (long)(n0 + 2) * C,
                                    xu + (long)(n0 + 3) * C};
            int32_t ws[4];
            for (int j = 0; j < 4; j++) ws[j] = wsum[o0 + j < OC ? o0 + j : last];
            dot_4x4_offset(acc, xr, w, ws, C);
            for (int i = 0; i < 4; i++) {
                int n = n0 + i;
                float* row = out + (long)n * OC;
                for (int j = 0; j < 4 && o0 + j < OC; j++) {
                    int o = o0 + j;
                    row[o] = (float)acc[i][j] * (sx[n] * scale[o]) + (b ? b[o] : 0.0f);
                }
            }
        }
#endif
        for (int n = n_tiled; n < N; n++) {                        // one row at a time: the sign trick
            int32_t acc[4];
            dot_1x4(acc, xq + (long)n * C, w[0], w[1], w[2], w[3], C);
            float* row = out + (long)n * OC;
            for (int j = 0; j < 4 && o0 + j < OC; j++) {
                int o = o0 + j;
                row[o] = (float)acc[j] * (sx[n] * scale[o]) + (b ? b[o] : 0.0f);
            }
        }
    }
#if INT8_PATH == 2
    free(xu);
    free(wsum);
#endif
    free(xq);
    free(sx);
}
