// Device helpers shared by several kernel files. Included as "common.cuh"
// (the launchers compile with -I cuda/). NVRTC has no system headers: only
// built-ins here.
#pragma once

#define FULL_MASK 0xffffffffu

// Butterfly (xor) reductions over the 32 lanes of a warp: after the steps
// 16, 8, 4, 2, 1 of __shfl_xor_sync every lane holds the result, in registers
// (no shared memory, no __syncthreads). All 32 lanes must take part.
__device__ __forceinline__ float warp_reduce_max(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, offset));
    return v;
}

__device__ __forceinline__ float warp_reduce_sum(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(FULL_MASK, v, offset);
    return v;
}
