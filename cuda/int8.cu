// Chapter 07: int8 quantization and the int8 linear layer as CUDA kernels.
//
//   quantize_int8_kernel     one block per row: a block-wide max of |x|, then every
//                            thread quantizes its share of the row
//   dequantize_int8_kernel   one thread per value: q * scale
//
// linear_forward_int8 launches quantize_int8_kernel on x (into scratch), then one of
// two versions of the product, slow to fast; the progression is the lesson:
//   naive   one thread per output (n, o): C int8 multiply-adds, every byte its own load
//   dp4a    one warp per output: each lane loads 4 bytes of x and 4 of w as one 32-bit
//           word, and __dp4a (sm_61+) multiplies the four pairs and adds them to an int32
//           in one instruction; a warp shuffle then sums the 32 lanes. 4x fewer loads and
//           4x fewer instructions than naive, and neighbouring lanes read neighbouring
//           words of a row: coalesced.
// The arithmetic is the NumPy reference's (pystory/int8.py): q = round(x * 127 / amax)
// with ties to even (__float2int_rn), int32 sums (exact, so any order gives the same
// integers), and out = float(acc) * (sx[n] * scale[o]) + b[o].

#include "common.cuh"   // FULL_MASK, warp_max

#define QT 256        // threads per row in quantize_int8_kernel
#define QMAX 127.0f

// quantize_int8_kernel.
// Thread mapping: block r owns row r; thread t reads x[r, t], x[r, t + 256], ...
// (neighbouring threads, neighbouring floats: coalesced). The max of |x| goes
// through warp_max (common.cuh), then one value per warp in shared memory, then thread 0;
// every thread then reads amax back from shared memory and quantizes its values.
extern "C" __global__ void __launch_bounds__(QT)
quantize_int8_kernel(signed char* __restrict__ q, float* __restrict__ scale,
                     const float* __restrict__ x, int R, int C) {
    __shared__ float warp_amax[QT / 32];   // one max per warp
    __shared__ float row_amax;
    int r = blockIdx.x;
    const float* xr = x + (long long)r * C;
    float m = 0.0f;
    for (int c = threadIdx.x; c < C; c += QT) {
        float a = fabsf(xr[c]);
        m = a > m ? a : m;
    }
    m = warp_max(m);                                          // every lane: the warp's max (m is never NaN)
    if (threadIdx.x % 32 == 0) warp_amax[threadIdx.x / 32] = m;
    __syncthreads();
    if (threadIdx.x == 0) {
        float a = 0.0f;
        for (int w = 0; w < QT / 32; w++) a = warp_amax[w] > a ? warp_amax[w] : a;
        row_amax = a;
        scale[r] = a / QMAX;
    }
    __syncthreads();
    float amax = row_amax;
    float inv = amax > 0.0f ? QMAX / amax : 0.0f;
    for (int c = threadIdx.x; c < C; c += QT) {
        float v = xr[c] * inv;
        if (!(v == v)) v = 0.0f;                              // NaN (from an inf or NaN input): 0
        v = fminf(fmaxf(v, -QMAX), QMAX);
        q[(long long)r * C + c] = (signed char)__float2int_rn(v);
    }
}

// dequantize_int8_kernel.
// Thread mapping: thread i of the grid owns value i = r * C + c (coalesced reads and writes).
extern "C" __global__ void __launch_bounds__(256)
dequantize_int8_kernel(float* __restrict__ out, const signed char* __restrict__ q,
                       const float* __restrict__ scale, int R, int C) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)R * C) return;
    out[i] = (float)q[i] * scale[i / C];
}

// linear_int8_naive_kernel (version 1).
// Thread mapping: thread o = blockIdx.x * 256 + threadIdx.x owns output column o for
// rows n = blockIdx.y, blockIdx.y + gridDim.y, ... (gridDim.y is at most 65535).
// It walks row n of xq and row o of wq one byte at a time: neighbouring threads read
// bytes C apart in wq (uncoalesced), which is what version 2 fixes.
extern "C" __global__ void __launch_bounds__(256)
linear_int8_naive_kernel(float* __restrict__ out, const signed char* __restrict__ xq,
                         const float* __restrict__ sx, const signed char* __restrict__ wq,
                         const float* __restrict__ scale, const float* __restrict__ bias, int has_bias,
                         int N, int C, int OC) {
    int o = blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= OC) return;
    for (int n = blockIdx.y; n < N; n += gridDim.y) {
        int acc = 0;
        for (int c = 0; c < C; c++) {
            acc += (int)xq[(long long)n * C + c] * (int)wq[(long long)o * C + c];
        }
        out[(long long)n * OC + o] = (float)acc * (sx[n] * scale[o]) + (has_bias ? bias[o] : 0.0f);
    }
}

#define DP4A_WARPS 4   // outputs (warps) per block in version 2

// Word k of a row of C bytes: bytes 4k .. 4k+3 packed little-endian (byte 4k lowest),
// the bytes past C as 0. `aligned` (every row start a multiple of 4 bytes, the launcher
// checks) allows one 32-bit load for a whole word.
__device__ __forceinline__ int load_word(const signed char* __restrict__ row, int k, int C, int aligned) {
    if (aligned && 4 * k + 4 <= C) return *reinterpret_cast<const int*>(row + 4 * k);
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = 4 * k + i;
        if (c < C) v |= (row[c] & 0xFF) << (8 * i);
    }
    return v;
}

// linear_int8_dp4a_kernel (version 2).
// Thread mapping: a block of 4 warps; warp w owns output o = blockIdx.x * 4 + w of rows
// n = blockIdx.y, blockIdx.y + gridDim.y, ... Lane l takes words l, l + 32, ... of row n
// of xq and row o of wq (neighbouring lanes, neighbouring words: one 128-byte load per
// warp step) and accumulates __dp4a(x word, w word, acc). __shfl_down_sync halves the 32
// partial sums five times; lane 0 scales the total and writes it. A warp whose o is past
// OC leaves as a whole (o is the same for its 32 lanes), so the shuffles stay full-warp.
extern "C" __global__ void __launch_bounds__(32 * DP4A_WARPS)
linear_int8_dp4a_kernel(float* __restrict__ out, const signed char* __restrict__ xq,
                        const float* __restrict__ sx, const signed char* __restrict__ wq,
                        const float* __restrict__ scale, const float* __restrict__ bias, int has_bias,
                        int N, int C, int OC, int aligned) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int o = blockIdx.x * DP4A_WARPS + warp;
    if (o >= OC) return;
    int words = (C + 3) / 4;
    const signed char* wr = wq + (long long)o * C;
    for (int n = blockIdx.y; n < N; n += gridDim.y) {
        const signed char* xr = xq + (long long)n * C;
        int acc = 0;
        for (int k = lane; k < words; k += 32) {
            acc = __dp4a(load_word(xr, k, C, aligned), load_word(wr, k, C, aligned), acc);
        }
        for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(FULL_MASK, acc, off);   // int: exact
        if (lane == 0) out[(long long)n * OC + o] = (float)acc * (sx[n] * scale[o]) + (has_bias ? bias[o] : 0.0f);
    }
}
