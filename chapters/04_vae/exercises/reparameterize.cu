// Exercise 04.3 — the fused reparameterize kernel in CUDA: the noise is drawn inside the kernel.
//
// z = mu + exp(logvar / 2) * eps, with eps[i] = the normal number of word
// offset + i of the Philox stream of `seed` (pystory/philox.py): for the pair
// of words (2p, 2p+1), Box-Muller gives two normals, r cos(theta) for the even
// word and r sin(theta) for the odd one (box_muller below does that part).
//
// Thread mapping: thread t = blockIdx.x * blockDim.x + threadIdx.x owns stream
// block b = offset / 4 + t, i.e. words 4b .. 4b+3 (two whole pairs), for
// t < nblocks. philox_stream_block (cuda/philox.cuh) gives the four words of
// block b. A word w belongs to this call only if offset <= w < offset + n; it
// is element i = w - offset of eps and z. Write both.
// The 64-bit seed and offset arrive as (lo, hi) 32-bit halves.
// Runs on the CPU through the emulator: make grade CH=04
#include "philox.cuh"

// The two normals of the Box-Muller pair (w0, w1), in double and rounded to
// float, exactly as pystory/philox.py computes them.
__device__ __forceinline__ void box_muller(unsigned int w0, unsigned int w1, float out[2]) {
    double u1 = ((double)(w0 >> 8) + 1.0) * 5.9604644775390625e-08;   // (0, 1]: never log(0)
    double u2 = (double)(w1 >> 8) * 5.9604644775390625e-08;           // [0, 1)
    double r = sqrt(-2.0 * log(u1));
    double theta = 6.283185307179586 * u2;
    out[0] = (float)(r * cos(theta));
    out[1] = (float)(r * sin(theta));
}

extern "C" __global__ void __launch_bounds__(256)
reparameterize_forward_kernel(float* __restrict__ z, float* __restrict__ eps,
                              const float* __restrict__ mu, const float* __restrict__ logvar,
                              unsigned int seed_lo, unsigned int seed_hi,
                              unsigned int offset_lo, unsigned int offset_hi, int n, int nblocks) {
    // TODO: your kernel here.
}
