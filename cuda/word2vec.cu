// Chapter 02: word2vec's skip-gram with negative sampling.
//
// sgns_step, one minibatch step: same semantics as pystory/sgns.py: gradients
// from the weights at the start of the step, then all updates applied. Two
// kernels, because every read of the old weights must finish before the
// first write (a kernel boundary is the only grid-wide barrier):
//   sgns_grad_kernel    reads  w_in, w_out -> g, loss, dv and a copy of each center vector
//   sgns_update_kernel  writes w_out and w_in with atomicAdd (rows are shared between pairs)
// J = K + 1 output words per pair: the context first, then the K negatives.
//
// sgns_train, a whole pass: the pairs and the negatives are made on the GPU,
// from the same Philox words as in pystory/sgns.py, then the two step
// kernels run once per batch (on slices of the pair arrays):
//   skipgram_count_kernel   the window of each center and how many pairs it makes
//   exclusive_scan_kernel   where each center's pairs start (one block walks the counts)
//   skipgram_pairs_kernel   each center writes its pairs there, in the reference's order
//   sgns_negatives_kernel   the K negatives of every pair, through the unigram table

#include "common.cuh"   // warp_sum
#include "philox.cuh"   // philox_stream_block

__device__ __forceinline__ float sgns_sigmoid(float s) {
    float e = expf(-fabsf(s));
    return s >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

__device__ __forceinline__ float sgns_softplus(float x) {
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

// sgns_grad_kernel: one warp per pair.
// Thread mapping: warp w of the block takes pair b = blockIdx.x * (blockDim.x / 32) + w;
// lane l handles dimensions d = l, l + 32, ... (coalesced row reads). For each
// output word j the 32 partial dot products are summed with warp_sum (shuffles),
// after which every lane holds the score, so every lane can add g_j * u[d]
// into its own dimensions of dv[b] (no other thread writes them).
extern "C" __global__ void __launch_bounds__(256)
sgns_grad_kernel(float* __restrict__ g, float* __restrict__ loss, float* __restrict__ dv,
                 float* __restrict__ vcopy, const float* __restrict__ w_in, const float* __restrict__ w_out,
                 const int* __restrict__ centers, const int* __restrict__ contexts,
                 const int* __restrict__ negatives, int B, int K, int D) {
    int b = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (b >= B) return;  // the whole warp leaves together
    int J = K + 1;
    const float* v = w_in + (long long)centers[b] * D;
    for (int d = lane; d < D; d += 32) {
        dv[(long long)b * D + d] = 0.0f;
        vcopy[(long long)b * D + d] = v[d];
    }
    float lb = 0.0f;
    for (int j = 0; j < J; j++) {
        int word = j == 0 ? contexts[b] : negatives[(long long)b * K + j - 1];
        const float* u = w_out + (long long)word * D;
        float s = 0.0f;
        for (int d = lane; d < D; d += 32) s += v[d] * u[d];
        s = warp_sum(s);
        float gj = sgns_sigmoid(s) - (j == 0 ? 1.0f : 0.0f);
        lb += j == 0 ? sgns_softplus(-s) : sgns_softplus(s);
        for (int d = lane; d < D; d += 32) dv[(long long)b * D + d] += gj * u[d];
        if (lane == 0) g[(long long)b * J + j] = gj;
    }
    if (lane == 0) loss[b] = lb;
}

// sgns_update_kernel: w_out[j] -= lr * g[b, j] * v_b and w_in[center_b] -= lr * dv[b].
// Thread mapping: one thread per (pair b, dimension d), e = b * D + d; it adds
// into dimension d of the J output rows and of the center row. Two pairs may
// share a row (a frequent word), so the adds are atomic; their order varies,
// so the result matches NumPy to float tolerance, not bit for bit.
extern "C" __global__ void __launch_bounds__(256)
sgns_update_kernel(float* __restrict__ w_in, float* __restrict__ w_out, const float* __restrict__ g,
                   const float* __restrict__ dv, const float* __restrict__ vcopy,
                   const int* __restrict__ centers, const int* __restrict__ contexts,
                   const int* __restrict__ negatives, float lr, int B, int K, int D) {
    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long)B * D) return;
    int b = (int)(e / D), d = (int)(e % D);
    int J = K + 1;
    float vd = vcopy[e];
    for (int j = 0; j < J; j++) {
        int word = j == 0 ? contexts[b] : negatives[(long long)b * K + j - 1];
        atomicAdd(&w_out[(long long)word * D + d], (-lr * g[(long long)b * J + j]) * vd);
    }
    atomicAdd(&w_in[(long long)centers[b] * D + d], -lr * dv[e]);
}


// --- sgns_train: the pairs and the negatives on the GPU ---------------------------------

// Word w of the stream of seed (lo, hi) as an int in [0, range): (word * range) >> 32, as philox_randint.
__device__ __forceinline__ int sgns_randint_word(unsigned int seed_lo, unsigned int seed_hi,
                                                 unsigned long long w, unsigned int range) {
    unsigned int x[4];
    philox_stream_block(x, seed_lo, seed_hi, w / 4);
    return (int)__umulhi(x[w % 4], range);
}

// skipgram_count_kernel: win[i] = 1 + randint(word offset + i, window), the window of center i,
// and count[i] = the pairs it makes: min(win, i) on the left, min(win, N - 1 - i) on the right.
// Thread mapping: one thread per center i (it computes the whole Philox block of its word:
// 4x the arithmetic of sharing it, and no thread waits for another).
extern "C" __global__ void __launch_bounds__(256)
skipgram_count_kernel(int* __restrict__ win, int* __restrict__ count, unsigned int seed_lo, unsigned int seed_hi,
                      unsigned int offset_lo, unsigned int offset_hi, int N, int window) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    int b = 1 + sgns_randint_word(seed_lo, seed_hi, offset + i, (unsigned int)window);
    win[i] = b;
    count[i] = min(b, i) + min(b, N - 1 - i);
}

// exclusive_scan_kernel: start[i] = count[0] + ... + count[i-1], and start[N] = the total.
// Thread mapping: ONE block of 256 threads walks the array in tiles of 256: each thread
// loads one count, the block scans the tile in shared memory (Hillis-Steele: log2(256) = 8
// steps of "add the value 2^s to the left"), adds the running total of the earlier tiles,
// and thread 255 carries the tile's sum on. O(N) work on one multiprocessor: the scan is a
// small part of the pass (the steps read N * window * (K + 1) rows of D floats).
extern "C" __global__ void __launch_bounds__(256)
exclusive_scan_kernel(long long* __restrict__ start, const int* __restrict__ count, int N) {
    __shared__ long long tile[256];
    __shared__ long long carry;
    int t = threadIdx.x;
    if (t == 0) carry = 0;
    __syncthreads();
    for (int base = 0; base < N; base += 256) {
        int i = base + t;
        long long v = i < N ? count[i] : 0;
        tile[t] = v;
        __syncthreads();
        for (int s = 1; s < 256; s *= 2) {
            long long left = t >= s ? tile[t - s] : 0;
            __syncthreads();                          // every read of this step before any write
            tile[t] += left;
            __syncthreads();
        }
        if (i < N) start[i] = carry + tile[t] - v;   // inclusive minus own = exclusive
        __syncthreads();                              // everyone has read carry
        if (t == 255) carry += tile[255];
        __syncthreads();
    }
    if (t == 0) start[N] = carry;
}

// skipgram_pairs_kernel: center i writes its pairs at start[i], .., in the reference's order
// (distance 1 left, 1 right, 2 left, ...): centers[p] = ids[i], contexts[p] = ids[i -+ d].
// Thread mapping: one thread per center i; the pairs of neighbouring threads are neighbours
// in memory, so the writes of a warp fall on a few cache lines.
extern "C" __global__ void __launch_bounds__(256)
skipgram_pairs_kernel(int* __restrict__ centers, int* __restrict__ contexts, const int* __restrict__ ids,
                      const int* __restrict__ win, const long long* __restrict__ start, int N) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    long long p = start[i];
    for (int d = 1; d <= win[i]; d++) {
        if (i - d >= 0) { centers[p] = ids[i]; contexts[p] = ids[i - d]; p++; }
        if (i + d < N) { centers[p] = ids[i]; contexts[p] = ids[i + d]; p++; }
    }
}

// sgns_negatives_kernel: negatives[e] = table[randint(word offset + N + e, S)] for e in [0, n),
// e = p * K + k: the k-th negative of pair p.
// Thread mapping: one thread per negative e (a grid-stride loop: n may exceed a grid's reach).
extern "C" __global__ void __launch_bounds__(256)
sgns_negatives_kernel(int* __restrict__ negatives, const int* __restrict__ table, unsigned int seed_lo,
                      unsigned int seed_hi, unsigned int first_lo, unsigned int first_hi, long long n,
                      unsigned int S) {
    unsigned long long first = ((unsigned long long)first_hi << 32) | first_lo;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n;
         e += (long long)gridDim.x * blockDim.x) {
        negatives[e] = table[sgns_randint_word(seed_lo, seed_hi, first + (unsigned long long)e, S)];
    }
}
