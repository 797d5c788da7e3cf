// Chapter 05: binary cross-entropy on logits as CUDA kernels — the formulas of pystory/bce.py.
// logits, targets, loss: (N,) floats. Elementwise: nothing to share, nothing to reduce.

// sigmoid without overflow: exp only ever sees -|z| <= 0.
__device__ __forceinline__ float bce_sigmoid(float z) {
    float e = expf(-fabsf(z));
    return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

// bce_with_logits_forward_kernel: loss = max(z, 0) - z * y + log1p(exp(-|z|)).
// Thread mapping: thread i = blockIdx.x * blockDim.x + threadIdx.x owns element i;
// neighbouring threads read neighbouring floats (coalesced).
extern "C" __global__ void __launch_bounds__(256)
bce_with_logits_forward_kernel(float* __restrict__ loss, const float* __restrict__ logits,
                               const float* __restrict__ targets, int N) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    float z = logits[i];
    loss[i] = fmaxf(z, 0.0f) - z * targets[i] + log1pf(expf(-fabsf(z)));
}

// bce_with_logits_backward_kernel: dlogits = dloss * (sigmoid(z) - y); mapping as the forward.
extern "C" __global__ void __launch_bounds__(256)
bce_with_logits_backward_kernel(float* __restrict__ dlogits, const float* __restrict__ dloss,
                                const float* __restrict__ logits, const float* __restrict__ targets,
                                int N) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    dlogits[i] = dloss[i] * (bce_sigmoid(logits[i]) - targets[i]);
}
