// Chapter 06 (and 04): layer normalization as CUDA kernels.
// x: (N, C) row-major; one row per position.

#include "common.cuh"   // warp_sum: the sum over the 32 lanes, every lane gets it

// layernorm_forward_kernel: one warp per row.
// Thread mapping: warp w of block b takes row n = b * (blockDim.x / 32) + w;
// lane l reads channels l, l + 32, ... (coalesced). The warp sums with
// shuffles (no shared memory): first the mean, then the variance around it
// (the row is re-read; it is in L1 by then). Lane 0 stores mean and rstd.
extern "C" __global__ void __launch_bounds__(1024)
layernorm_forward_kernel(float* __restrict__ out, float* __restrict__ mean, float* __restrict__ rstd,
                         const float* __restrict__ x, const float* __restrict__ w,
                         const float* __restrict__ b, float eps, int N, int C) {
    int lane = threadIdx.x % 32;
    int n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (n >= N) return;  // the whole warp leaves together
    const float* xr = x + (long long)n * C;
    float sum = 0.0f;
    for (int c = lane; c < C; c += 32) sum += xr[c];
    float m = warp_sum(sum) / C;
    float var = 0.0f;
    for (int c = lane; c < C; c += 32) {
        float d = xr[c] - m;
        var += d * d;
    }
    float s = rsqrtf(warp_sum(var) / C + eps);
    float* outr = out + (long long)n * C;
    for (int c = lane; c < C; c += 32) {
        outr[c] = (xr[c] - m) * s * w[c] + b[c];
    }
    if (lane == 0) {
        mean[n] = m;
        rstd[n] = s;
    }
}

// layernorm_backward_kernel: dx, one warp per row (mapping as in the forward).
// With xhat = (x - mean) * rstd and g = dout * w, per row:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
// The two means are warp sums; then each lane writes its channels.
extern "C" __global__ void __launch_bounds__(1024)
layernorm_backward_kernel(float* __restrict__ dx, const float* __restrict__ dout,
                          const float* __restrict__ x, const float* __restrict__ w,
                          const float* __restrict__ mean, const float* __restrict__ rstd,
                          int N, int C) {
    int lane = threadIdx.x % 32;
    int n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (n >= N) return;
    const float* dr = dout + (long long)n * C;
    const float* xr = x + (long long)n * C;
    float m = mean[n], s = rstd[n];
    float g_sum = 0.0f, gx_sum = 0.0f;
    for (int c = lane; c < C; c += 32) {
        float g = dr[c] * w[c];
        g_sum += g;
        gx_sum += g * (xr[c] - m) * s;
    }
    float g_mean = warp_sum(g_sum) / C;
    float gx_mean = warp_sum(gx_sum) / C;
    float* dxr = dx + (long long)n * C;
    for (int c = lane; c < C; c += 32) {
        float xhat = (xr[c] - m) * s;
        dxr[c] = s * (dr[c] * w[c] - g_mean - xhat * gx_mean);
    }
}

// layernorm_param_backward_kernel: dw[c] = sum_n dout[n, c] * xhat[n, c], db[c] = sum_n dout[n, c].
// Thread mapping: one thread per channel c, looping over the rows in order:
// deterministic (no atomics), and neighbouring threads read neighbouring
// channels of the same row (coalesced).
extern "C" __global__ void __launch_bounds__(256)
layernorm_param_backward_kernel(float* __restrict__ dw, float* __restrict__ db,
                                const float* __restrict__ dout, const float* __restrict__ x,
                                const float* __restrict__ mean, const float* __restrict__ rstd,
                                int N, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float sw = 0.0f, sb = 0.0f;
    for (int n = 0; n < N; n++) {
        float d = dout[(long long)n * C + c];
        sw += d * (x[(long long)n * C + c] - mean[n]) * rstd[n];
        sb += d;
    }
    dw[c] = sw;
    db[c] = sb;
}
