// Chapter 06 (and 04): GELU (tanh approximation, as GPT-2) as CUDA kernels.
//   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)

#define GELU_SCALE 0.7978845608028654f   // sqrt(2 / pi)
#define GELU_CUBE 0.044715f

// gelu_forward_kernel: one thread per element, i = blockIdx.x * blockDim.x + threadIdx.x.
extern "C" __global__ void __launch_bounds__(1024)
gelu_forward_kernel(float* __restrict__ out, const float* __restrict__ x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float xi = x[i];
    float u = GELU_SCALE * (xi + GELU_CUBE * xi * xi * xi);
    out[i] = 0.5f * xi * (1.0f + tanhf(u));
}

// gelu_backward_kernel: one thread per element; dx = dout * gelu'(x), with
// gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u).
extern "C" __global__ void __launch_bounds__(1024)
gelu_backward_kernel(float* __restrict__ dx, const float* __restrict__ dout,
                     const float* __restrict__ x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float xi = x[i];
    float t = tanhf(GELU_SCALE * (xi + GELU_CUBE * xi * xi * xi));
    float du = GELU_SCALE * (1.0f + 3.0f * GELU_CUBE * xi * xi);
    dx[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du);
}
