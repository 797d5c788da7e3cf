// Chapter 06 (and 04): AdamW and the gradient norm as CUDA kernels.
// params, grads, m, v: each ONE flat buffer of n floats (all parameters).

// adamw_update_kernel: one thread per parameter, i = blockIdx.x * blockDim.x + threadIdx.x.
// Each parameter's update reads only its own p, g, m, v: no thread talks to
// another. bc1 = 1 - beta1^step and bc2 = 1 - beta2^step are the same for
// every parameter, so the host computes them once. decay_mask is read only
// when has_mask is 1 (weight decay where the mask is 1).
// Self-contained on purpose (it is homework).
extern "C" __global__ void __launch_bounds__(1024)
adamw_update_kernel(float* __restrict__ params, const float* __restrict__ grads,
                    float* __restrict__ m, float* __restrict__ v, int n,
                    float lr, float beta1, float beta2, float bc1, float bc2, float eps,
                    float weight_decay, const unsigned char* __restrict__ decay_mask, int has_mask) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float g = grads[i];
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float m_hat = mi / bc1;
    float v_hat = vi / bc2;
    float wd = (!has_mask || decay_mask[i]) ? weight_decay : 0.0f;
    params[i] -= lr * (m_hat / (sqrtf(v_hat) + eps) + wd * params[i]);
}

// Tree reduction of one value per thread in shared memory (blockDim.x a
// power of two); thread 0 returns the block's sum. The order of additions
// is fixed by the thread ids: the same sum every run.
__device__ float block_sum(float* buf, float v) {
    int t = threadIdx.x;
    buf[t] = v;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) buf[t] += buf[t + stride];
        __syncthreads();
    }
    return buf[0];
}

// grad_norm_partial_kernel: pass 1 of sum(g^2).
// Thread mapping: a fixed grid of `gridDim.x` blocks strides over the buffer
// (thread i takes i, i + total threads, ...); each block reduces its threads'
// sums in shared memory and writes one partial. No float atomics: their order
// would vary from run to run, and so would the last bits of the norm.
extern "C" __global__ void __launch_bounds__(256)
grad_norm_partial_kernel(float* __restrict__ partial, const float* __restrict__ grads, int n) {
    __shared__ float buf[256];
    float sum = 0.0f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        float g = grads[i];
        sum += g * g;
    }
    float total = block_sum(buf, sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// grad_norm_final_kernel: pass 2, one block adds the `count` partials
// (thread t takes t, t + 256, ...), then the same tree. out[0] = sum(g^2);
// the host takes the square root.
extern "C" __global__ void __launch_bounds__(256)
grad_norm_final_kernel(float* __restrict__ out, const float* __restrict__ partial, int count) {
    __shared__ float buf[256];
    float sum = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x) sum += partial[i];
    float total = block_sum(buf, sum);
    if (threadIdx.x == 0) out[0] = total;
}

// scale_inplace_kernel: x[i] *= s, one thread per element.
extern "C" __global__ void __launch_bounds__(1024)
scale_inplace_kernel(float* __restrict__ x, float s, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= s;
}
