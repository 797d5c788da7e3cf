// Exercise 06.3 — the AdamW update as a CUDA kernel, one thread per parameter.
//
// Launch: grid = ceil(n / blockDim.x) blocks; thread i = blockIdx.x * blockDim.x + threadIdx.x
// updates parameter i (threads past n do nothing):
//   m[i] = beta1 * m[i] + (1 - beta1) * g          g = grads[i]
//   v[i] = beta2 * v[i] + (1 - beta2) * g * g
//   m_hat = m[i] / bc1,  v_hat = v[i] / bc2          bc1 = 1 - beta1^step, bc2 = 1 - beta2^step
//   params[i] -= lr * (m_hat / (sqrtf(v_hat) + eps) + wd * params[i])
// where wd = weight_decay if has_mask == 0 or decay_mask[i] != 0, else 0.
// Runs on the CPU through the emulator: make grade CH=06

extern "C" __global__ void __launch_bounds__(1024)
adamw_update_kernel(float* params, const float* grads, float* m, float* v, int n,
                    float lr, float beta1, float beta2, float bc1, float bc2, float eps,
                    float weight_decay, const unsigned char* decay_mask, int has_mask) {
    // TODO: your kernel here.
}
