// Chapter 04: the latent code of a VAE as CUDA kernels — the ops of pystory/latent.py.
//
// Every op is elementwise over the n = B * Z numbers of a batch (or the B * T
// token positions for word dropout). The two random ones draw their numbers
// inside the kernel from the Philox stream of cuda/philox.cuh, so they need
// no buffer of noise in global memory: "fused" means the normal numbers are
// born in registers and used there. 64-bit seeds and offsets travel as two
// 32-bit halves (lo, hi), as in cuda/philox.cu.
#include "philox.cuh"

// gaussian_kl_forward_kernel: kl = 1/2 (mu^2 + exp(logvar) - 1 - logvar).
// Thread mapping: thread i = blockIdx.x * blockDim.x + threadIdx.x owns element i
// (neighbouring threads, neighbouring floats: coalesced).
extern "C" __global__ void __launch_bounds__(256)
gaussian_kl_forward_kernel(float* __restrict__ kl, const float* __restrict__ mu,
                           const float* __restrict__ logvar, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    kl[i] = 0.5f * (mu[i] * mu[i] + expf(logvar[i]) - 1.0f - logvar[i]);
}

// gaussian_kl_backward_kernel: dmu = dkl * mu, dlogvar = dkl * 1/2 (exp(logvar) - 1).
// Thread mapping: as gaussian_kl_forward_kernel.
extern "C" __global__ void __launch_bounds__(256)
gaussian_kl_backward_kernel(float* __restrict__ dmu, float* __restrict__ dlogvar,
                            const float* __restrict__ dkl, const float* __restrict__ mu,
                            const float* __restrict__ logvar, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    dmu[i] = dkl[i] * mu[i];
    dlogvar[i] = dkl[i] * 0.5f * (expf(logvar[i]) - 1.0f);
}

// The two normals of the Box-Muller pair in words (w0, w1) of the stream:
// u1 in (0, 1] (never log 0), u2 in [0, 1); r cos(2 pi u2) for the even word,
// r sin(2 pi u2) for the odd one. In double, rounded to float, exactly as
// philox_normal_kernel and pystory/philox.py do, so eps is bit-identical.
__device__ __forceinline__ void box_muller(unsigned int w0, unsigned int w1, float out[2]) {
    double u1 = ((double)(w0 >> 8) + 1.0) * 5.9604644775390625e-08;   // 2^-24
    double u2 = (double)(w1 >> 8) * 5.9604644775390625e-08;
    double r = sqrt(-2.0 * log(u1));
    double theta = 6.283185307179586 * u2;
    out[0] = (float)(r * cos(theta));
    out[1] = (float)(r * sin(theta));
}

// reparameterize_forward_kernel: eps[i] = normal word offset + i; z[i] = mu[i] + exp(logvar[i] / 2) * eps[i].
// Thread mapping: thread t owns stream block b = offset / 4 + t, i.e. words
// 4b .. 4b+3 (two whole Box-Muller pairs), and writes the elements
// i = w - offset of the words w that fall in [offset, offset + n). The first
// and the last thread may own fewer than four (offset need not be a multiple of 4).
extern "C" __global__ void __launch_bounds__(256)
reparameterize_forward_kernel(float* __restrict__ z, float* __restrict__ eps,
                              const float* __restrict__ mu, const float* __restrict__ logvar,
                              unsigned int seed_lo, unsigned int seed_hi,
                              unsigned int offset_lo, unsigned int offset_hi, int n, int nblocks) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nblocks) return;
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    unsigned long long b = offset / 4 + t;
    unsigned int x[4];
    philox_stream_block(x, seed_lo, seed_hi, b);
    float e[4];
    box_muller(x[0], x[1], e);
    box_muller(x[2], x[3], e + 2);
    for (int j = 0; j < 4; j++) {
        unsigned long long w = 4 * b + j;
        if (w < offset || w >= offset + n) continue;
        int i = (int)(w - offset);
        eps[i] = e[j];
        z[i] = mu[i] + expf(0.5f * logvar[i]) * e[j];
    }
}

// reparameterize_backward_kernel: dmu = dz, dlogvar = dz * eps * 1/2 exp(logvar / 2).
// Thread mapping: thread i owns element i.
extern "C" __global__ void __launch_bounds__(256)
reparameterize_backward_kernel(float* __restrict__ dmu, float* __restrict__ dlogvar,
                               const float* __restrict__ dz, const float* __restrict__ eps,
                               const float* __restrict__ logvar, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    dmu[i] = dz[i];
    dlogvar[i] = dz[i] * eps[i] * 0.5f * expf(0.5f * logvar[i]);
}

// word_dropout_kernel: out[i] = unk_id if i % T >= 1 and uniform(word offset + i) < p, else ids[i].
// Thread mapping: as reparameterize_forward_kernel, one thread per stream
// block of four words, i.e. four consecutive token positions.
extern "C" __global__ void __launch_bounds__(256)
word_dropout_kernel(int* __restrict__ out, const int* __restrict__ ids, float p, int unk_id,
                    unsigned int seed_lo, unsigned int seed_hi,
                    unsigned int offset_lo, unsigned int offset_hi, int n, int T, int nblocks) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nblocks) return;
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    unsigned long long b = offset / 4 + t;
    unsigned int x[4];
    philox_stream_block(x, seed_lo, seed_hi, b);
    for (int j = 0; j < 4; j++) {
        unsigned long long w = 4 * b + j;
        if (w < offset || w >= offset + n) continue;
        int i = (int)(w - offset);
        out[i] = (i % T >= 1 && philox_to_uniform(x[j]) < p) ? unk_id : ids[i];
    }
}
