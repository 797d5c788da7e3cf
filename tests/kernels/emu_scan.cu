// Block-wide inclusive prefix sum, Hillis-Steele, one block of n <= 1024
// threads (test kernels for the emulator).

extern "C" __global__ void scan_hillis_steele(const float* x, float* y, int n) {
    __shared__ float buf[1024];
    int i = threadIdx.x;
    buf[i] = i < n ? x[i] : 0.0f;
    __syncthreads();
    for (int offset = 1; offset < blockDim.x; offset <<= 1) {
        float add = i >= offset ? buf[i - offset] : 0.0f;
        __syncthreads();  // everyone has read before anyone writes
        buf[i] += add;
        __syncthreads();  // everyone has written before the next read
    }
    if (i < n) y[i] = buf[i];
}

// The same scan with the barriers forgotten: a data race. On a GPU the
// answer depends on which warps happen to run first; the emulator's
// "reverse" and "shuffle" schedules make the race visible.
extern "C" __global__ void scan_missing_sync(const float* x, float* y, int n) {
    __shared__ float buf[1024];
    int i = threadIdx.x;
    buf[i] = i < n ? x[i] : 0.0f;
    for (int offset = 1; offset < blockDim.x; offset <<= 1) {
        float add = i >= offset ? buf[i - offset] : 0.0f;
        buf[i] += add;
    }
    if (i < n) y[i] = buf[i];
}
