// Chapter 02: Philox-4x32-10 kernels — the same stream as pystory/philox.py.
//
// A counter-based generator needs no state: a thread computes "the words of
// block b" from b and the seed alone. So one thread per counter block, and no
// thread waits for another. 64-bit values (seed, offset) travel as two 32-bit
// halves, lo and hi, so that every launcher passes them the same way.
#include "philox.cuh"

// philox4x32_10_kernel: the raw block function on n (counter, key) pairs.
// Thread mapping: thread i = blockIdx.x * blockDim.x + threadIdx.x handles pair i:
// reads ctr[4i..4i+3] and key[2i..2i+1], writes out[4i..4i+3].
extern "C" __global__ void __launch_bounds__(256)
philox4x32_10_kernel(unsigned int* __restrict__ out, const unsigned int* __restrict__ ctr,
                     const unsigned int* __restrict__ key, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    unsigned int x[4] = {ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3]};
    philox_block(x, key[2 * i], key[2 * i + 1]);
    for (int j = 0; j < 4; j++) out[4 * i + j] = x[j];
}

// philox_uniform_kernel: out[w - offset] = uniform(word w) for w in [offset, offset + n).
// Thread mapping: thread t computes stream block b = offset / 4 + t (words
// 4b .. 4b+3) and writes the (up to four) words that fall inside the range.
extern "C" __global__ void __launch_bounds__(256)
philox_uniform_kernel(float* __restrict__ out, unsigned int seed_lo, unsigned int seed_hi,
                      unsigned int offset_lo, unsigned int offset_hi, int n, int nblocks) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nblocks) return;
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    unsigned long long b = offset / 4 + t;
    unsigned int x[4];
    philox_stream_block(x, seed_lo, seed_hi, b);
    for (int j = 0; j < 4; j++) {
        unsigned long long w = 4 * b + j;
        if (w >= offset && w < offset + n) out[w - offset] = philox_to_uniform(x[j]);
    }
}

// philox_randint_kernel: out[w - offset] = low + (word * range) >> 32, range = high - low.
// Thread mapping: as philox_uniform_kernel, one thread per stream block.
extern "C" __global__ void __launch_bounds__(256)
philox_randint_kernel(int* __restrict__ out, unsigned int seed_lo, unsigned int seed_hi,
                      unsigned int offset_lo, unsigned int offset_hi, int n, int nblocks,
                      int low, unsigned int range) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nblocks) return;
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    unsigned long long b = offset / 4 + t;
    unsigned int x[4];
    philox_stream_block(x, seed_lo, seed_hi, b);
    for (int j = 0; j < 4; j++) {
        unsigned long long w = 4 * b + j;
        if (w >= offset && w < offset + n) {
            out[w - offset] = (int)((long long)low + (long long)__umulhi(x[j], range));
        }
    }
}

// philox_normal_kernel: Box-Muller on the word pairs (2p, 2p+1): the even word
// gets r cos(theta), the odd one r sin(theta). In double, rounded to float,
// so that NumPy, C and CUDA agree even though their libm's differ.
// Thread mapping: as philox_uniform_kernel; a stream block holds two whole pairs.
extern "C" __global__ void __launch_bounds__(256)
philox_normal_kernel(float* __restrict__ out, unsigned int seed_lo, unsigned int seed_hi,
                     unsigned int offset_lo, unsigned int offset_hi, int n, int nblocks) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nblocks) return;
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    unsigned long long b = offset / 4 + t;
    unsigned int x[4];
    philox_stream_block(x, seed_lo, seed_hi, b);
    for (int pair = 0; pair < 2; pair++) {
        double u1 = ((double)(x[2 * pair] >> 8) + 1.0) * 5.9604644775390625e-08;  // (0, 1]
        double u2 = (double)(x[2 * pair + 1] >> 8) * 5.9604644775390625e-08;       // [0, 1)
        double r = sqrt(-2.0 * log(u1));
        double theta = 6.283185307179586 * u2;
        for (int j = 0; j < 2; j++) {
            unsigned long long w = 4 * b + 2 * pair + j;
            if (w >= offset && w < offset + n) out[w - offset] = (float)(j == 0 ? r * cos(theta) : r * sin(theta));
        }
    }
}
