// Warp intrinsics (test kernels for the emulator).

// Sum of a float array: each warp reduces with __shfl_down_sync, warp sums go
// through shared memory, warp 0 reduces them with __shfl_xor_sync.
extern "C" __global__ void block_sum(const float* x, float* out, int n) {
    __shared__ float warp_sums[32];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = i < n ? x[i] : 0.0f;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float s = lane < (int)(blockDim.x / 32) ? warp_sums[lane] : 0.0f;
        for (int mask = 16; mask > 0; mask >>= 1) s += __shfl_xor_sync(0xffffffffu, s, mask);
        if (lane == 0) out[blockIdx.x] = s;
    }
}

// Votes: per warp, the ballot of (x > 0), and whether any / all are > 0.
extern "C" __global__ void votes(const int* x, unsigned int* ballot, int* any, int* all) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int pred = x[i] > 0;
    unsigned int b = __ballot_sync(0xffffffffu, pred);
    int a = __any_sync(0xffffffffu, pred);
    int l = __all_sync(0xffffffffu, pred);
    if (threadIdx.x % 32 == 0) {
        int w = i / 32;
        ballot[w] = b;
        any[w] = a;
        all[w] = l;
    }
}

// Inclusive scan of groups of `width` lanes with __shfl_up_sync, and the
// value of lane 0 of each group with __shfl_sync.
extern "C" __global__ void segment_scan(const int* x, int* scan, int* first, int width) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int v = x[i];
    int lane_in_group = (threadIdx.x % 32) % width;
    for (int d = 1; d < width; d <<= 1) {
        int up = __shfl_up_sync(0xffffffffu, v, d, width);
        if (lane_in_group >= d) v += up;
    }
    scan[i] = v;
    first[i] = __shfl_sync(0xffffffffu, x[i], 0, width);
}

// Counting with the block-wide barrier variants.
extern "C" __global__ void sync_votes(const int* x, int* out) {
    int pred = x[threadIdx.x] > 0;
    int count = __syncthreads_count(pred);
    int all = __syncthreads_and(pred);
    int any = __syncthreads_or(pred);
    if (threadIdx.x == 0) {
        out[0] = count;
        out[1] = all;
        out[2] = any;
    }
}

// A lane leaves before the shuffle that names it in its mask: a bug.
extern "C" __global__ void shuffle_after_exit(float* x) {
    if (threadIdx.x == 5) return;
    x[threadIdx.x] = __shfl_down_sync(0xffffffffu, x[threadIdx.x], 1);
}
