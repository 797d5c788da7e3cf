// Chapter 02: embedding kernels — lookup, two scatter-adds, positions, GPT's encoder.
//
// Layout as in C: table (V, C), out (N, C) row-major. The binding has checked
// every id against V before launching, so no kernel reads out of bounds.

// embedding_forward_kernel: out[i, c] = table[ids[i], c].
// Thread mapping: one thread per output float, e = blockIdx.x * blockDim.x + threadIdx.x,
// i = e / C, c = e % C. Neighbouring threads copy neighbouring floats of one
// row, so both the read and the write are coalesced.
extern "C" __global__ void __launch_bounds__(256)
embedding_forward_kernel(float* __restrict__ out, const int* __restrict__ ids,
                         const float* __restrict__ table, int N, int C) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)N * C) return;
    int i = (int)(e / C), c = (int)(e % C);
    out[e] = table[(long long)ids[i] * C + c];
}

// embedding_backward_atomic_kernel (version 1): dtable[ids[i], c] += dout[i, c].
// Thread mapping: one thread per element of dout, as in the forward. Two
// tokens with the same id add into the same float, so the add must be atomic.
// Atomics make it correct but not deterministic: the hardware applies them in
// whatever order the threads arrive, and float addition is not associative,
// so the last bits of dtable can change from run to run. dtable starts at zero.
extern "C" __global__ void __launch_bounds__(256)
embedding_backward_atomic_kernel(float* __restrict__ dtable, const int* __restrict__ ids,
                                 const float* __restrict__ dout, int N, int C) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)N * C) return;
    int i = (int)(e / C), c = (int)(e % C);
    atomicAdd(&dtable[(long long)ids[i] * C + c], dout[e]);
}

// First position k in the sorted ids with sorted_ids[k] >= v (binary search).
__device__ __forceinline__ int lower_bound(const int* sorted_ids, int N, int v) {
    int lo = 0, hi = N;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (sorted_ids[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

// embedding_backward_deterministic_kernel (version 2): no atomics.
// The binding sorts the tokens by (id, position): perm[k] is the position of
// the k-th token in that order and sorted_ids[k] its id, so the tokens of one
// vocabulary row v form one segment [start, end) of the sorted list, in
// position order. Thread mapping: block (blockIdx.x = v, blockIdx.y = chunk)
// owns row v and channels c = chunk * blockDim.x + threadIdx.x; thread 0
// finds the segment by binary search and shares it through shared memory;
// each thread then sums its channel over the segment, in position order.
// Every float is written by exactly one thread with a fixed order of adds:
// the result is the same on every run (and equals NumPy's np.add.at bit for bit).
// Every row is written, empty ones with zero, so dtable needs no clearing.
extern "C" __global__ void __launch_bounds__(256)
embedding_backward_deterministic_kernel(float* __restrict__ dtable, const int* __restrict__ sorted_ids,
                                        const int* __restrict__ perm, const float* __restrict__ dout,
                                        int N, int C) {
    __shared__ int segment[2];
    int v = blockIdx.x;
    if (threadIdx.x == 0) {
        segment[0] = lower_bound(sorted_ids, N, v);
        segment[1] = lower_bound(sorted_ids, N, v + 1);
    }
    __syncthreads();
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float sum = 0.0f;
    for (int k = segment[0]; k < segment[1]; k++) {
        sum += dout[(long long)perm[k] * C + c];  // a warp reads 32 neighbouring floats of one row
    }
    dtable[(long long)v * C + c] = sum;
}

// sinusoidal_positions_kernel: out[t, c] = sin(angle) for even c, cos(angle) for odd c,
// angle = t / 10000^(2i/C) with 2i = c - c % 2; in double, rounded to float.
// Thread mapping: one thread per output float, e = t * C + c.
extern "C" __global__ void __launch_bounds__(256)
sinusoidal_positions_kernel(float* __restrict__ out, int T, int C) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)T * C) return;
    int t = (int)(e / C), c = (int)(e % C);
    double angle = (double)t / pow(10000.0, (double)(c - c % 2) / C);
    out[e] = (float)(c % 2 == 0 ? sin(angle) : cos(angle));
}

// encoder_forward_kernel: out[b, t, c] = wte[ids[b, t], c] + wpe[t, c].
// Thread mapping: one thread per output float, e = (b * T + t) * C + c (coalesced).
extern "C" __global__ void __launch_bounds__(256)
encoder_forward_kernel(float* __restrict__ out, const int* __restrict__ ids, const float* __restrict__ wte,
                       const float* __restrict__ wpe, int B, int T, int C) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)B * T * C) return;
    int bt = (int)(e / C), c = (int)(e % C);
    int t = bt % T;
    out[e] = wte[(long long)ids[bt] * C + c] + wpe[(long long)t * C + c];
}

// encoder_backward_wpe_kernel: dwpe[t, c] = sum over b of dout[b, t, c], b in order.
// Thread mapping: one thread per (t, c), e = t * C + c; the thread loops over
// the B sequences. No two threads write the same float: deterministic.
extern "C" __global__ void __launch_bounds__(256)
encoder_backward_wpe_kernel(float* __restrict__ dwpe, const float* __restrict__ dout, int B, int T, int C) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)T * C) return;
    float sum = 0.0f;
    for (int b = 0; b < B; b++) {
        sum += dout[(long long)b * T * C + e];
    }
    dwpe[e] = sum;
}
