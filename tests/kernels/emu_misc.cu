// Launch shapes, dynamic shared memory, limits and failures (test kernels
// for the emulator).
#include <assert.h>

// Reverse each block's slice through dynamic shared memory (size set at launch).
extern "C" __global__ void reverse_dynamic(const float* x, float* y) {
    extern __shared__ float tmp[];
    int base = blockIdx.x * blockDim.x;
    tmp[threadIdx.x] = x[base + threadIdx.x];
    __syncthreads();
    y[base + threadIdx.x] = tmp[blockDim.x - 1 - threadIdx.x];
}

// Every thread of a 3-D grid of 3-D blocks writes its six indices.
extern "C" __global__ void write_indices(int* out) {
    int bid = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    int tid = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    int* o = out + 6 * (bid * blockDim.x * blockDim.y * blockDim.z + tid);
    o[0] = blockIdx.x; o[1] = blockIdx.y; o[2] = blockIdx.z;
    o[3] = threadIdx.x; o[4] = threadIdx.y; o[5] = threadIdx.z;
}

// At most 128 threads per block.
extern "C" __global__ void __launch_bounds__(128) bounded(int* out) {
    out[blockIdx.x * blockDim.x + threadIdx.x] = 1;
}

// 40 KiB of static shared memory: leaves 8 KiB for dynamic.
extern "C" __global__ void big_shared(float* out) {
    __shared__ float big[10 * 1024];
    big[threadIdx.x] = (float)threadIdx.x;
    __syncthreads();
    out[threadIdx.x] = big[(threadIdx.x + 1) % blockDim.x];
}

// Thread 0 leaves, the others wait at __syncthreads forever: a GPU hangs or
// misbehaves; the emulator reports it.
extern "C" __global__ void divergent_barrier(float* x) {
    if (threadIdx.x == 0) return;
    __syncthreads();
    x[threadIdx.x] = 1.0f;
}

extern "C" __global__ void checks_positive(const int* x) {
    assert(x[threadIdx.x] > 0);
}

extern "C" __global__ void traps(int* x) {
    if (threadIdx.x == 3) __trap();
    x[threadIdx.x] = 1;
}

// Scalars of every kind, echoed back.
extern "C" __global__ void scalars(int a, unsigned int b, long long c, unsigned long long d, float e,
                                   double f, double* out) {
    out[0] = a; out[1] = b; out[2] = (double)c; out[3] = (double)d; out[4] = e; out[5] = f;
}

// Device helpers with barriers, math and bit intrinsics.
__device__ __forceinline__ float block_max(float v, float* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) scratch[threadIdx.x] = fmaxf(scratch[threadIdx.x], scratch[threadIdx.x + s]);
        __syncthreads();
    }
    float m = scratch[0];
    __syncthreads();
    return m;
}

extern "C" __global__ void softmax_rows(const float* x, float* y, int cols) {
    __shared__ float scratch[256];
    const float* row = x + blockIdx.x * cols;
    float v = threadIdx.x < cols ? row[threadIdx.x] : -INFINITY;
    float m = block_max(v, scratch);
    float e = threadIdx.x < cols ? __expf(v - m) : 0.0f;
    float s = 0.0f;
    scratch[threadIdx.x] = e;
    __syncthreads();
    for (int k = 0; k < blockDim.x; k++) s += scratch[k];
    if (threadIdx.x < cols) y[blockIdx.x * cols + threadIdx.x] = e / s;
}

extern "C" __global__ void bit_ops(const unsigned int* x, unsigned int* out) {
    unsigned int v = x[threadIdx.x];
    unsigned int* o = out + 6 * threadIdx.x;
    o[0] = __popc(v);
    o[1] = __clz((int)v);
    o[2] = __ffs((int)v);
    o[3] = __brev(v);
    o[4] = __umulhi(v, 0x9E3779B9u);
    o[5] = __float_as_uint(__uint_as_float(v)) == v ? max(v, 7u) : 0u;
}

extern "C" __global__ void vec4_copy(const float4* x, float4* y) {
    float4 v = x[threadIdx.x];
    y[threadIdx.x] = make_float4(v.w, v.z, v.y, v.x);
}

extern "C" __global__ void hello(int n) {
    if (threadIdx.x == 0) printf("hello from block %d of %d\n", (int)blockIdx.x, n);
}
