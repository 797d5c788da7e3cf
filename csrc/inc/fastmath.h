// Helpers shared by several C files, kept out of csrc/*.h because cffi reads
// every header there as declarations (a function body would not parse).
#ifndef PYSTORY_FASTMATH_H
#define PYSTORY_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

// a * b + c as one fused multiply-add. ISO C (-std=c11) forbids the compiler
// to fuse a*b + c into one FMA instruction on its own, so we ask for it: twice
// the multiply-adds per cycle of a separate multiply and add. Without hardware
// FMA (a build without -march=native), fmaf would be a slow library call: use a*b + c.
#ifdef __FMA__
#define MADD(a, b, c) fmaf((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

// exp(x), used for x <= 0 in attention and for the GRU gates, written so that the compiler can vectorize a loop of
// them (libm's expf is a function call per element: ~3 ns, this ~0.4 ns with
// AVX-512 on the benchmark machine). Cephes' method: x = n ln2 + r with
// |r| <= ln2/2, exp(r) by a degree-6 polynomial, 2^n built directly in the
// float's exponent bits. Relative error ~1e-7 (float rounding); inputs below
// -87 (where exp underflows anyway) return ~1e-38 instead of 0.
// The clamps are ternaries, not fmaxf: GCC vectorizes those.
static inline float exp_fast(float x) {
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  // round(x / ln2): 1.5 * 2^23 trick
    float r = x - n * 0.693359375f;                          // ln2 in two parts, so r stays exact
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;                 // the float 2^n
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return p * two_n;
}

// tanh(a) = 2 sigmoid(2a) - 1 = 1 - 2 / (exp(2a) + 1), on exp_fast so that a loop
// of them vectorizes (libm's tanhf is a call per element, which calls expm1f:
// in a GPT training step GELU's tanhf was 18% of the time). Absolute error ~1e-7;
// near 0 the relative error grows, like any tanh built from exp. The clamps of
// exp_fast keep it finite: +-1 for |a| > 44.
static inline float tanh_fast(float a) { return 1.0f - 2.0f / (exp_fast(2.0f * a) + 1.0f); }

#endif
