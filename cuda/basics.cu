// Chapter 00: axpy and rowsum as CUDA kernels.
//
// The same file runs on an NVIDIA GPU (compiled by NVRTC through CuPy) and
// on the CPU (compiled by the emulator in cuda/emu/). Kernels are
// `extern "C"` so that Python finds them by their plain names.
//
// Layout: x is (R, C) row-major, exactly as NumPy holds it.

// axpy_kernel: out[i] = a * x[i] + y[i].
// Thread mapping: one thread per element; i = blockIdx.x * blockDim.x + threadIdx.x.
// The grid is rounded up to whole blocks, so the last threads check i < n.
// Neighbouring threads touch neighbouring addresses: every load is coalesced.
extern "C" __global__ void __launch_bounds__(1024)
axpy_kernel(float* __restrict__ out, float a, const float* __restrict__ x,
            const float* __restrict__ y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        out[i] = a * x[i] + y[i];
    }
}

// rowsum_naive_kernel (version 1): one thread per row, a plain loop.
// Thread mapping: row r = blockIdx.x * blockDim.x + threadIdx.x.
// Simple, but slow: at each step the 32 threads of a warp read addresses
// C floats apart, so one warp-wide load touches 32 different cache lines.
extern "C" __global__ void __launch_bounds__(1024)
rowsum_naive_kernel(float* __restrict__ out, const float* __restrict__ x, int R, int C) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= R) return;
    const float* row = x + (long long)r * C;
    float sum = 0.0f;
    for (int c = 0; c < C; c++) {
        sum += row[c];
    }
    out[r] = sum;
}

// rowsum_warp_kernel (version 2): one warp (32 threads) per row.
// Thread mapping: a block of blockDim.x = 32 * W threads handles W rows;
// warp w of the block takes row r = blockIdx.x * W + w, and lane l reads
// columns l, l + 32, l + 64, ... — neighbouring lanes read neighbouring
// addresses, so loads are coalesced. The 32 partial sums are then combined
// with register shuffles (no shared memory, no __syncthreads): after the
// steps 16, 8, 4, 2, 1 lane 0 holds the total.
extern "C" __global__ void __launch_bounds__(1024)
rowsum_warp_kernel(float* __restrict__ out, const float* __restrict__ x, int R, int C) {
    int warp = threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    int r = blockIdx.x * (blockDim.x / 32) + warp;
    if (r >= R) return;  // the whole warp leaves together: r is the same for its 32 lanes
    const float* row = x + (long long)r * C;
    float sum = 0.0f;
    for (int c = lane; c < C; c += 32) {
        sum += row[c];
    }
    for (int offset = 16; offset > 0; offset /= 2) {
        sum += __shfl_down_sync(0xffffffffu, sum, offset);
    }
    if (lane == 0) {
        out[r] = sum;
    }
}

// rowsum_block_kernel (version 3): one block per row, for long rows.
// Thread mapping: block b takes row b; thread t sums columns t, t + blockDim.x, ...
// (coalesced). Then a tree reduction in shared memory: at each step the
// first half of the threads adds the second half's values, with a
// __syncthreads between steps so every write is seen before it is read.
// blockDim.x must be a power of two (the binding uses 256).
extern "C" __global__ void __launch_bounds__(1024)
rowsum_block_kernel(float* __restrict__ out, const float* __restrict__ x, int R, int C) {
    extern __shared__ float partial[];  // blockDim.x floats, sized at launch
    int r = blockIdx.x;
    int t = threadIdx.x;
    const float* row = x + (long long)r * C;
    float sum = 0.0f;
    for (int c = t; c < C; c += blockDim.x) {
        sum += row[c];
    }
    partial[t] = sum;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) {
            partial[t] += partial[t + stride];
        }
        __syncthreads();
    }
    if (t == 0) {
        out[r] = partial[0];
    }
}
