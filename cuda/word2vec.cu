// Chapter 02: word2vec's skip-gram with negative sampling, one minibatch step.
//
// Same semantics as pystory/word2vec.py: gradients from the weights at the
// start of the step, then all updates applied. Two kernels, because every
// read of the old weights must finish before the first write (a kernel
// boundary is the only grid-wide barrier):
//   sgns_grad_kernel    reads  w_in, w_out -> g, loss, dv and a copy of each center vector
//   sgns_update_kernel  writes w_out and w_in with atomicAdd (rows are shared between pairs)
// J = K + 1 output words per pair: the context first, then the K negatives.

#include "common.cuh"   // warp_sum

__device__ __forceinline__ float sgns_sigmoid(float s) {
    float e = expf(-fabsf(s));
    return s >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

__device__ __forceinline__ float sgns_softplus(float x) {
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

// sgns_grad_kernel: one warp per pair.
// Thread mapping: warp w of the block takes pair b = blockIdx.x * (blockDim.x / 32) + w;
// lane l handles dimensions d = l, l + 32, ... (coalesced row reads). For each
// output word j the 32 partial dot products are summed with warp_sum (shuffles),
// after which every lane holds the score, so every lane can add g_j * u[d]
// into its own dimensions of dv[b] (no other thread writes them).
extern "C" __global__ void __launch_bounds__(256)
sgns_grad_kernel(float* __restrict__ g, float* __restrict__ loss, float* __restrict__ dv,
                 float* __restrict__ vcopy, const float* __restrict__ w_in, const float* __restrict__ w_out,
                 const int* __restrict__ centers, const int* __restrict__ contexts,
                 const int* __restrict__ negatives, int B, int K, int D) {
    int b = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (b >= B) return;  // the whole warp leaves together
    int J = K + 1;
    const float* v = w_in + (long long)centers[b] * D;
    for (int d = lane; d < D; d += 32) {
        dv[(long long)b * D + d] = 0.0f;
        vcopy[(long long)b * D + d] = v[d];
    }
    float lb = 0.0f;
    for (int j = 0; j < J; j++) {
        int word = j == 0 ? contexts[b] : negatives[(long long)b * K + j - 1];
        const float* u = w_out + (long long)word * D;
        float s = 0.0f;
        for (int d = lane; d < D; d += 32) s += v[d] * u[d];
        s = warp_sum(s);
        float gj = sgns_sigmoid(s) - (j == 0 ? 1.0f : 0.0f);
        lb += j == 0 ? sgns_softplus(-s) : sgns_softplus(s);
        for (int d = lane; d < D; d += 32) dv[(long long)b * D + d] += gj * u[d];
        if (lane == 0) g[(long long)b * J + j] = gj;
    }
    if (lane == 0) loss[b] = lb;
}

// sgns_update_kernel: w_out[j] -= lr * g[b, j] * v_b and w_in[center_b] -= lr * dv[b].
// Thread mapping: one thread per (pair b, dimension d), e = b * D + d; it adds
// into dimension d of the J output rows and of the center row. Two pairs may
// share a row (a frequent word), so the adds are atomic; their order varies,
// so the result matches NumPy to float tolerance, not bit for bit.
extern "C" __global__ void __launch_bounds__(256)
sgns_update_kernel(float* __restrict__ w_in, float* __restrict__ w_out, const float* __restrict__ g,
                   const float* __restrict__ dv, const float* __restrict__ vcopy,
                   const int* __restrict__ centers, const int* __restrict__ contexts,
                   const int* __restrict__ negatives, float lr, int B, int K, int D) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)B * D) return;
    int b = (int)(e / D), d = (int)(e % D);
    int J = K + 1;
    float vd = vcopy[e];
    for (int j = 0; j < J; j++) {
        int word = j == 0 ? contexts[b] : negatives[(long long)b * K + j - 1];
        atomicAdd(&w_out[(long long)word * D + d], (-lr * g[(long long)b * J + j]) * vd);
    }
    atomicAdd(&w_in[(long long)centers[b] * D + d], -lr * dv[e]);
}
