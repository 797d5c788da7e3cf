// Chapter 02: Philox-4x32-10 as device functions, for any kernel that needs
// random numbers (dropout, VAE noise, Gumbel noise, the sampler).
// The stream is the one of pystory/philox.py and csrc/philox.c:
//   key = (seed mod 2^32, seed >> 32)
//   word i = lane i % 4 of philox4x32_10(ctr = (i/4 mod 2^32, i/4 >> 32, 0, 0), key)
#pragma once

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// One round. __umulhi gives the high 32 bits of the 64-bit product in one
// instruction; the low 32 bits are the ordinary (wrapping) product.
__device__ __forceinline__ void philox_round(unsigned int x[4], unsigned int k0, unsigned int k1) {
    unsigned int hi0 = __umulhi(PHILOX_M0, x[0]), lo0 = PHILOX_M0 * x[0];
    unsigned int hi1 = __umulhi(PHILOX_M1, x[2]), lo1 = PHILOX_M1 * x[2];
    unsigned int y0 = hi1 ^ x[1] ^ k0;
    unsigned int y2 = hi0 ^ x[3] ^ k1;
    x[0] = y0;
    x[1] = lo1;
    x[2] = y2;
    x[3] = lo0;
}

// Ten rounds, the key bumped between them; x is the counter in, the words out.
__device__ __forceinline__ void philox_block(unsigned int x[4], unsigned int k0, unsigned int k1) {
    #pragma unroll
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        philox_round(x, k0, k1);
    }
}

// Block b of the stream of the seed (k0, k1): words 4b .. 4b+3.
__device__ __forceinline__ void philox_stream_block(unsigned int x[4], unsigned int k0,
                                                    unsigned int k1, unsigned long long b) {
    x[0] = (unsigned int)b;
    x[1] = (unsigned int)(b >> 32);
    x[2] = 0u;
    x[3] = 0u;
    philox_block(x, k0, k1);
}

// A word's top 24 bits as a float in [0, 1), exactly.
__device__ __forceinline__ float philox_to_uniform(unsigned int w) {
    return (float)(w >> 8) * 5.9604644775390625e-08f;  // 2^-24
}
