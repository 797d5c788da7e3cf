// Atomics across blocks (test kernels for the emulator).

// Histogram of byte values, with a per-block histogram in shared memory.
extern "C" __global__ void histogram256(const unsigned char* data, int n, int* hist) {
    __shared__ int local[256];
    for (int b = threadIdx.x; b < 256; b += blockDim.x) local[b] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
        atomicAdd(&local[data[i]], 1);
    __syncthreads();
    for (int b = threadIdx.x; b < 256; b += blockDim.x) atomicAdd(&hist[b], local[b]);
}

// Every thread adds its element into one float.
extern "C" __global__ void atomic_sum(const float* x, int n, float* total) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) atomicAdd(total, x[i]);
}

// The other atomics, each on its own counter.
extern "C" __global__ void atomic_mix(const int* x, int n, int* mx, int* mn, unsigned int* cnt,
                                      unsigned long long* sum64, double* dsum, int* first) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    atomicMax(mx, x[i]);
    atomicMin(mn, x[i]);
    atomicAdd(cnt, 1u);
    atomicAdd(sum64, (unsigned long long)x[i]);
    atomicAdd(dsum, (double)x[i]);
    atomicCAS(first, -1, i == 7 ? 7 : -1);  // only thread 7 can swap -1 -> 7
}
