// Chapter 02: Philox-4x32-10 in C — the same stream as pystory/philox.py.
//
// The generator is a pure function of (counter, key), so every output block
// is independent: OpenMP splits the blocks across cores with no shared state,
// and the result does not depend on the number of threads.
#include <math.h>
#include "philox.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_TWO_PI 6.283185307179586

// One round: two 32x32 -> 64-bit multiplications, then a swap and XOR with the key.
static inline void philox_round(uint32_t x[4], uint32_t k0, uint32_t k1) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * x[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * x[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t y0 = hi1 ^ x[1] ^ k0;
    uint32_t y2 = hi0 ^ x[3] ^ k1;
    x[0] = y0;
    x[1] = lo1;
    x[2] = y2;
    x[3] = lo0;
}

// Ten rounds, the key bumped by the Weyl constants between them (in place on x).
static inline void philox_block(uint32_t x[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;  // unsigned arithmetic wraps mod 2^32, as the algorithm wants
            k1 += PHILOX_W1;
        }
        philox_round(x, k0, k1);
    }
}

// The raw block function on n (counter, key) pairs: ctr (n, 4), key (n, 2) -> out (n, 4).
void philox4x32_10(uint32_t* restrict out, const uint32_t* restrict ctr,
                   const uint32_t* restrict key, int n) {
    #pragma omp parallel for if (n > (1 << 14))
    for (int i = 0; i < n; i++) {
        uint32_t x[4] = {ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3]};
        philox_block(x, key[2 * i], key[2 * i + 1]);
        for (int j = 0; j < 4; j++) out[4 * i + j] = x[j];
    }
}

// The four words of stream block b (words 4b .. 4b+3) for `seed`.
static inline void philox_stream_block(uint32_t x[4], uint64_t seed, uint64_t b) {
    x[0] = (uint32_t)b;
    x[1] = (uint32_t)(b >> 32);
    x[2] = 0;
    x[3] = 0;
    philox_block(x, (uint32_t)seed, (uint32_t)(seed >> 32));
}

// The functions below walk the counter blocks that cover words
// offset .. offset+n-1 and keep the words that fall inside: word w of the
// stream goes to out[w - offset]. Blocks are independent: the loop is parallel.

// uniform = top 24 bits * 2^-24: exact in float32, in [0, 1).
void philox_uniform(float* restrict out, uint64_t seed, uint64_t offset, int n) {
    if (n <= 0) return;
    uint64_t first = offset / 4, last = (offset + (uint64_t)n + 3) / 4;
    long nblocks = (long)(last - first);
    #pragma omp parallel for if (nblocks > (1 << 12))
    for (long bi = 0; bi < nblocks; bi++) {
        uint64_t b = first + (uint64_t)bi;
        uint32_t x[4];
        philox_stream_block(x, seed, b);
        for (int j = 0; j < 4; j++) {
            uint64_t w = 4 * b + (uint64_t)j;
            if (w < offset || w >= offset + (uint64_t)n) continue;
            out[w - offset] = (float)(x[j] >> 8) * 0x1p-24f;
        }
    }
}

// randint = low + (word * range) >> 32 (Lemire's multiply-shift: no division,
// a bias of at most range / 2^32).
void philox_randint(int* restrict out, uint64_t seed, uint64_t offset, int n, int low, int high) {
    if (n <= 0) return;
    uint64_t range = (uint64_t)((int64_t)high - (int64_t)low);
    uint64_t first = offset / 4, last = (offset + (uint64_t)n + 3) / 4;
    long nblocks = (long)(last - first);
    #pragma omp parallel for if (nblocks > (1 << 12))
    for (long bi = 0; bi < nblocks; bi++) {
        uint64_t b = first + (uint64_t)bi;
        uint32_t x[4];
        philox_stream_block(x, seed, b);
        for (int j = 0; j < 4; j++) {
            uint64_t w = 4 * b + (uint64_t)j;
            if (w < offset || w >= offset + (uint64_t)n) continue;
            out[w - offset] = (int)((int64_t)low + (int64_t)(((uint64_t)x[j] * range) >> 32));
        }
    }
}

// Box-Muller: the pair of words (2p, 2p+1) gives two normals, r cos(theta)
// for the even word and r sin(theta) for the odd one. In double, then rounded
// to float, so that libm differences almost never reach the float32 result.
void philox_normal(float* restrict out, uint64_t seed, uint64_t offset, int n) {
    if (n <= 0) return;
    uint64_t first = offset / 4, last = (offset + (uint64_t)n + 3) / 4;
    long nblocks = (long)(last - first);
    #pragma omp parallel for if (nblocks > (1 << 10))
    for (long bi = 0; bi < nblocks; bi++) {
        uint64_t b = first + (uint64_t)bi;
        uint32_t x[4];
        philox_stream_block(x, seed, b);
        for (int pair = 0; pair < 2; pair++) {          // a block holds two whole pairs
            double u1 = ((double)(x[2 * pair] >> 8) + 1.0) * 0x1p-24;   // (0, 1]
            double u2 = (double)(x[2 * pair + 1] >> 8) * 0x1p-24;       // [0, 1)
            double r = sqrt(-2.0 * log(u1));
            double z[2] = {r * cos(PHILOX_TWO_PI * u2), r * sin(PHILOX_TWO_PI * u2)};
            for (int j = 0; j < 2; j++) {
                uint64_t w = 4 * b + (uint64_t)(2 * pair + j);
                if (w < offset || w >= offset + (uint64_t)n) continue;
                out[w - offset] = (float)z[j];
            }
        }
    }
}
