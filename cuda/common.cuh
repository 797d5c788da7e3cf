// Device helpers shared by the kernels of cuda/*.cu, each under one name.
// Included with #include "common.cuh" (the launches pass -I cuda/); NVRTC has
// no system headers, so nothing here includes one.
#ifndef PYSTORY_COMMON_CUH
#define PYSTORY_COMMON_CUH

#define NEG_INF __int_as_float(0xff800000)  // -infinity (NVRTC has no math.h)
#define FULL_MASK 0xffffffffu                // every lane of the warp takes part

// --- warp reductions ---------------------------------------------------------------
// Butterfly (xor) shuffles: after the steps 16, 8, 4, 2, 1 every lane has
// combined every other lane's value exactly once, in registers (no shared
// memory, no __syncthreads), so every lane holds the result.

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(FULL_MASK, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, offset));
    return v;
}

// --- the online softmax --------------------------------------------------------------
// A set of numbers x is summarised by (m, s): its max m and s = sum exp(x - m).
// One number v is (v, 1); the empty set is (-inf, 0). Two summaries combine
// into one by moving both sums to the larger max, so a row can be summarised
// in one pass, in any order, by any number of threads: the max and the sum
// of the softmax without a second read (softmax, attention, cross-entropy).

__device__ __forceinline__ void online_merge(float& m, float& s, float m2, float s2) {
    float M = fmaxf(m, m2);
    if (M == NEG_INF) return;  // both empty: exp(-inf - -inf) would be NaN
    s = s * expf(m - M) + s2 * expf(m2 - M);
    m = M;
}

// Each lane holds a summary of its own numbers; afterwards every lane holds the warp's.
__device__ __forceinline__ void warp_online_merge(float& m, float& s) {
    for (int offset = 16; offset > 0; offset /= 2) {
        float m2 = __shfl_xor_sync(FULL_MASK, m, offset);
        float s2 = __shfl_xor_sync(FULL_MASK, s, offset);
        online_merge(m, s, m2, s2);
    }
}

#endif
