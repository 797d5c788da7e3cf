// Chapter 06: attention of one new token over a KV cache (incremental decoding).
//
// q: (B, C), k_cache, v_cache: (B, T_max, C) with positions 0 .. t-1 filled,
// out: (B, C). Head h owns channels [h*hs, (h+1)*hs).

#include "common.cuh"   // warp_sum, warp_max

// Sum (or max) of one value per thread over the whole block: each warp
// reduces with shuffles, warp leaders meet in `red` (32 floats of shared
// memory), and every warp reduces those again; every thread gets the result.
__device__ __forceinline__ float block_reduce(float x, float* red, bool is_max) {
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    x = is_max ? warp_max(x) : warp_sum(x);
    if (lane == 0) red[warp] = x;
    __syncthreads();
    x = (lane < warps) ? red[lane] : (is_max ? NEG_INF : 0.0f);
    x = is_max ? warp_max(x) : warp_sum(x);
    __syncthreads();   // red is reused by the next call
    return x;
}

// attention_decode_kernel: one block per (b, h); blockDim.x a multiple of 32, <= 1024.
// Thread mapping, in three phases over the t cached positions:
//   1. thread i computes the scores of positions i, i + blockDim.x, ... into
//      shared memory (t floats) and its local max; a block reduction gives the max;
//   2. each thread turns its scores into exp(s - max) and sums them; a second
//      reduction gives the softmax denominator;
//   3. thread i computes output channels i, i + blockDim.x, ... of the head:
//      out[d] = sum_j p_j v[j, d] / sum. Neighbouring threads read neighbouring
//      channels of the same cached row, so the loads of v are coalesced.
// The scores live in dynamic shared memory: 4 * t bytes, sized at launch.
extern "C" __global__ void __launch_bounds__(1024)
attention_decode_kernel(float* __restrict__ out, const float* __restrict__ q,
                        const float* __restrict__ k_cache, const float* __restrict__ v_cache,
                        int B, int T_max, int C, int NH, int t) {
    extern __shared__ float scores[];     // t floats
    __shared__ float red[32];
    int b = blockIdx.x / NH, h = blockIdx.x % NH;
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    const float* qh = q + (long long)b * C + h * hs;
    const float* kb = k_cache + (long long)b * T_max * C + h * hs;
    const float* vb = v_cache + (long long)b * T_max * C + h * hs;

    float m = NEG_INF;
    for (int j = threadIdx.x; j < t; j += blockDim.x) {
        const float* kj = kb + (long long)j * C;
        float s = 0.0f;
        for (int i = 0; i < hs; i++) s += qh[i] * kj[i];
        s *= scale;
        scores[j] = s;
        m = fmaxf(m, s);
    }
    m = block_reduce(m, red, true);

    float l = 0.0f;
    for (int j = threadIdx.x; j < t; j += blockDim.x) {
        float p = expf(scores[j] - m);
        scores[j] = p;
        l += p;
    }
    l = block_reduce(l, red, false);      // its __syncthreads also publishes every scores[j]

    float inv = 1.0f / l;
    for (int d = threadIdx.x; d < hs; d += blockDim.x) {
        float acc = 0.0f;
        for (int j = 0; j < t; j++) acc += scores[j] * vb[(long long)j * C + d];
        out[(long long)b * C + h * hs + d] = acc * inv;
    }
}

// block_decode (a whole transformer block for one new position) has no kernel
// here: pystory/gpu/kvcache.py launches the kernels of layernorm.cu, linear.cu,
// this file, gelu.cu and residual.cu one after the other, as csrc/kvcache.c
// calls the C functions. block_decode_int8 (chapter 07) is the same, with
// int8.cu's quantize and __dp4a product kernels in place of linear.cu's. What the op saves, the per-op Python work around each
// call, matters on the CPU backends; on a GPU a fused kernel would be the next step.
