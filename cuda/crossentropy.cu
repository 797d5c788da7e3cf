// Chapter 06 (and 04): softmax + cross-entropy as CUDA kernels.
// logits: (N, V) row-major, V may be the whole vocabulary (thousands):
// a warp walks its row in strides of 32.

#include "common.cuh"   // NEG_INF, online_merge, warp_online_merge

// One "online softmax" sweep over a row by one lane: values lane, lane + 32, ...
__device__ __forceinline__ void row_maxsum(const float* z, int V, int lane, float& m, float& s) {
    m = NEG_INF;
    s = 0.0f;
    for (int i = lane; i < V; i += 32) {
        online_merge(m, s, z[i], 1.0f);   // one value v is (m = v, s = exp(0) = 1)
    }
    warp_online_merge(m, s);
}

// crossentropy_forward_kernel: one warp per row.
// Thread mapping: warp w of block b takes row n = b * (blockDim.x / 32) + w.
// Pass 1: max and sum of exp in one online sweep + shuffles; pass 2: lanes
// write probs (coalesced); lane 0 writes the loss. The binding has checked
// targets; an out-of-range one is never read here (its loss is left 0).
extern "C" __global__ void __launch_bounds__(1024)
crossentropy_forward_kernel(float* __restrict__ losses, float* __restrict__ probs,
                            const float* __restrict__ logits, const int* __restrict__ targets,
                            int N, int V) {
    int lane = threadIdx.x % 32;
    int n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (n >= N) return;
    const float* z = logits + (long long)n * V;
    float m, s;
    row_maxsum(z, V, lane, m, s);
    float lse = m + logf(s);
    float* p = probs + (long long)n * V;
    for (int i = lane; i < V; i += 32) p[i] = expf(z[i] - lse);
    int t = targets[n];
    if (lane == 0) losses[n] = (t >= 0 && t < V) ? lse - z[t] : 0.0f;
}

// crossentropy_backward_kernel: one thread per element of dlogits (N*V of them),
// i = blockIdx.x * blockDim.x + threadIdx.x, row n = i / V, column i % V:
// dlogits = dlosses[n] * (probs - onehot(targets[n])).
extern "C" __global__ void __launch_bounds__(1024)
crossentropy_backward_kernel(float* __restrict__ dlogits, const float* __restrict__ dlosses,
                             const float* __restrict__ probs, const int* __restrict__ targets,
                             int N, int V) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)N * V) return;
    int n = (int)(i / V), col = (int)(i % V);
    float onehot = (col == targets[n]) ? 1.0f : 0.0f;
    dlogits[i] = dlosses[n] * (probs[i] - onehot);
}

// crossentropy_fused_kernel: llm.c's fused classifier, one warp per row
// (mapping as in the forward). Losses and d mean(losses) / d logits =
// (softmax - onehot) / N, written straight into dlogits: the probabilities
// are never stored. Two reads of the row, one write.
extern "C" __global__ void __launch_bounds__(1024)
crossentropy_fused_kernel(float* __restrict__ losses, float* __restrict__ dlogits,
                          const float* __restrict__ logits, const int* __restrict__ targets,
                          int N, int V) {
    int lane = threadIdx.x % 32;
    int n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (n >= N) return;
    const float* z = logits + (long long)n * V;
    float m, s;
    row_maxsum(z, V, lane, m, s);
    float lse = m + logf(s);
    int t = targets[n];
    float inv_n = 1.0f / (float)N;
    float* d = dlogits + (long long)n * V;
    for (int i = lane; i < V; i += 32) {
        d[i] = (expf(z[i] - lse) - (i == t ? 1.0f : 0.0f)) * inv_n;
    }
    if (lane == 0) losses[n] = (t >= 0 && t < V) ? lse - z[t] : 0.0f;
}
