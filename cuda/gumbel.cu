// Chapter 05: the Gumbel-softmax as CUDA kernels — the same numbers as pystory/gumbel.py.
//
// logits, y, out: (N, V) row-major. Element i = n*V + v uses Philox word
// offset + i: u = uniform(word) + 2^-25 in float64, g = float(-log(-log u)),
// y = softmax((logits + g) / tau) per row.
//
// One kernel per pass direction, one warp per row: a row of V = 2048 floats
// is 64 per lane, and a warp reduces with shuffles alone (no shared memory,
// no __syncthreads). A block of 4 warps takes 4 rows.
#include "common.cuh"   // warp_max, warp_sum
#include "philox.cuh"

#define HALF_STEP 2.98023223876953125e-08   // 2^-25: u + 2^-25 lies in (0, 1)

// The Gumbel noise of stream word w of the seed (k0, k1). Each lane computes
// the Philox block that holds its word (four words per block, so the
// neighbouring lanes recompute the same block: cheap integer work, and it
// keeps the mapping one word per thread whatever `offset` is).
__device__ __forceinline__ float gumbel_of_word(unsigned int k0, unsigned int k1, unsigned long long w) {
    unsigned int x[4];
    philox_stream_block(x, k0, k1, w / 4);
    double u = (double)philox_to_uniform(x[w % 4]) + HALF_STEP;   // exact
    return (float)(-log(-log(u)));
}

// gumbel_softmax_forward_kernel: y = softmax((logits + g) / tau); out = one-hot(argmax y) if hard.
// Thread mapping: warp w of block b takes row n = b * (blockDim.x / 32) + w; lane l
// handles columns l, l + 32, ... (coalesced). Pass 1 writes z = (logits + g) / tau into
// y and reduces its max; pass 2 writes exp(z - max) and reduces the sum; pass 3
// divides. For hard, the warp then finds the first maximum (a NaN counts as the
// maximum, as np.argmax) and writes the one-hot row. (Soft: out is unused; the launcher passes y.)
extern "C" __global__ void __launch_bounds__(256)
gumbel_softmax_forward_kernel(float* out, float* __restrict__ y, const float* __restrict__ logits,
                              float tau, unsigned int seed_lo, unsigned int seed_hi,
                              unsigned int offset_lo, unsigned int offset_hi, int hard, int N, int V) {
    int lane = threadIdx.x % 32;
    int n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (n >= N) return;  // the whole warp leaves together
    unsigned long long offset = ((unsigned long long)offset_hi << 32) | offset_lo;
    unsigned long long row0 = offset + (unsigned long long)n * V;     // the row's first word
    const float* l = logits + (long long)n * V;
    float* yr = y + (long long)n * V;
    float m = __int_as_float(0xff800000);                             // -inf
    for (int v = lane; v < V; v += 32) {
        float z = (l[v] + gumbel_of_word(seed_lo, seed_hi, row0 + v)) / tau;
        yr[v] = z;
        m = fmaxf(m, z);
    }
    m = warp_max(m);
    float s = 0.0f;
    for (int v = lane; v < V; v += 32) {
        float e = expf(yr[v] - m);
        yr[v] = e;
        s += e;
    }
    s = warp_sum(s);
    for (int v = lane; v < V; v += 32) yr[v] = yr[v] / s;
    if (!hard) return;
    // first maximum: each lane keeps its best (value, index); merge by shuffles, ties -> lower index
    float best = yr[lane < V ? lane : 0];
    int arg = lane < V ? lane : 0;
    for (int v = lane + 32; v < V; v += 32) {
        float e = yr[v];
        if (e > best || (isnan(e) && !isnan(best))) {
            best = e;
            arg = v;
        }
    }
    for (int offset2 = 16; offset2 > 0; offset2 /= 2) {
        float b2 = __shfl_xor_sync(FULL_MASK, best, offset2);
        int a2 = __shfl_xor_sync(FULL_MASK, arg, offset2);
        bool take = (isnan(b2) && !isnan(best)) || b2 > best || (b2 == best && a2 < arg) ||
                    (isnan(b2) && isnan(best) && a2 < arg);
        if (take) {
            best = b2;
            arg = a2;
        }
    }
    float* o = out + (long long)n * V;
    for (int v = lane; v < V; v += 32) o[v] = v == arg ? 1.0f : 0.0f;
}

// gumbel_softmax_backward_kernel: dlogits = y * (dy - sum(dy * y)) / tau per row.
// Thread mapping: as the forward, one warp per row; the dot product is a warp sum.
extern "C" __global__ void __launch_bounds__(256)
gumbel_softmax_backward_kernel(float* __restrict__ dlogits, const float* __restrict__ dy,
                               const float* __restrict__ y, float tau, int N, int V) {
    int lane = threadIdx.x % 32;
    int n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (n >= N) return;
    const float* dr = dy + (long long)n * V;
    const float* yr = y + (long long)n * V;
    float dot = 0.0f;
    for (int v = lane; v < V; v += 32) dot += dr[v] * yr[v];
    dot = warp_sum(dot);
    float* out = dlogits + (long long)n * V;
    for (int v = lane; v < V; v += 32) out[v] = yr[v] * (dr[v] - dot) / tau;
}
