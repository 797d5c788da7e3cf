// Chapter 08: the arithmetic inside the collectives, as CUDA kernels.
//
// On a GPU the gradients never leave the device: NCCL moves them between
// GPUs, and these kernels do the adding, on the same stream.
// x is (N, S) row-major: row r is rank r's copy of one shard of S floats.

// sum_ranks_kernel: out[i] = scale * (x[0][i] + ... + x[N-1][i]), ranks added in order.
// Thread mapping: one thread per element i = blockIdx.x * blockDim.x + threadIdx.x;
// it walks down the N rows. At every step the threads of a warp read 32
// neighbouring floats of one row: each load is coalesced. No thread shares a
// value with another, so there is no shared memory and no atomics (an
// atomicAdd's order would change from run to run, and so would the last bits).
extern "C" __global__ void __launch_bounds__(1024)
sum_ranks_kernel(float* __restrict__ out, const float* __restrict__ x, float scale, int N, int S) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= S) return;
    float s = x[i];
    for (int r = 1; r < N; r++) s += x[(long long)r * S + i];
    out[i] = s * scale;
}

// accumulate_kernel: acc[i] += g[i], one thread per element (coalesced).
extern "C" __global__ void __launch_bounds__(1024)
accumulate_kernel(float* __restrict__ acc, const float* __restrict__ g, int P) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < P) acc[i] += g[i];
}
