// Kernels with one deliberate bug each (test kernels for the emulator's
// checked mode and its fault handling). The tests assert the line each
// report names, so keep every bug on the line its comment says.

// --- memcheck -------------------------------------------------------------------
extern "C" __global__ void axpy_off_by_one(float* out, float a, const float* x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) out[i] = a * x[i];  // BUG line 8: i == n is one past the end
}

extern "C" __global__ void write_far_past(float* out, int n) {
    int i = threadIdx.x;
    if (i == 0) out[n + 1024] = 1.0f;  // BUG line 13: 4 KiB past the end
}

extern "C" __global__ void read_before(float* out, const float* x) {
    int i = threadIdx.x;
    out[i] = x[i - 1];  // BUG line 18: x[-1]
}

extern "C" __global__ void shared_pointer_past_end(float* out) {
    __shared__ float buf[32];
    float* p = buf;
    p[threadIdx.x + 8] = 1.0f;  // BUG line 24: past buf[31] for threads 24..31
    __syncthreads();
    out[threadIdx.x] = buf[threadIdx.x % 8];
}

extern "C" __global__ void shared_index_past_end(float* out) {
    __shared__ float buf[16];
    buf[threadIdx.x] = 1.0f;  // BUG line 31: 32 threads, 16 floats
    __syncthreads();
    out[threadIdx.x] = buf[0];
}

extern "C" __global__ void dynamic_shared_past_end(float* out) {
    extern __shared__ float tmp[];
    tmp[threadIdx.x + 1] = 2.0f;  // BUG line 38: the last thread writes tmp[blockDim.x]
    __syncthreads();
    out[threadIdx.x] = tmp[threadIdx.x];
}

extern "C" __global__ void local_array_past_end(float* out, int n) {
    float acc[4];
    for (int k = 0; k <= n; k++) acc[k] = (float)k;  // BUG line 45: k == 4 with n = 4
    out[threadIdx.x] = acc[n % 4];
}

extern "C" __global__ void misaligned_float4(float* out, const float* x) {
    float4 v = reinterpret_cast<const float4*>(x + 1)[threadIdx.x];  // BUG line 50: x + 1 is not 16-byte aligned
    out[threadIdx.x] = v.x + v.y + v.z + v.w;
}

extern "C" __global__ void null_pointer(float* out) {
    float* p = threadIdx.x == 3 ? nullptr : out;
    p[threadIdx.x] = 1.0f;  // BUG line 56: thread 3 writes through NULL
}

extern "C" __global__ void wild_pointer(float* out, long long where) {
    float* p = (float*)where;
    out[threadIdx.x] = *p;  // BUG line 61: a made-up address
}

// --- racecheck ----------------------------------------------------------------------
extern "C" __global__ void scan_missing_sync(const float* x, float* y) {
    __shared__ float buf[256];
    int i = threadIdx.x;
    buf[i] = x[i];
    __syncthreads();
    for (int offset = 1; offset < blockDim.x; offset <<= 1) {
        float add = i >= offset ? buf[i - offset] : 0.0f;  // line 71: the read
        buf[i] += add;  // BUG line 72: no __syncthreads() between the read above and this write
    }
    y[i] = buf[i];
}

extern "C" __global__ void everyone_writes_one(float* out) {
    __shared__ float last;
    last = (float)threadIdx.x;  // BUG line 79: every thread writes, no barrier
    __syncthreads();
    out[threadIdx.x] = last;
}

// The pre-Volta "warp-synchronous" reduction: lanes of one warp read what
// other lanes wrote with no __syncwarp between. Wrong since Volta.
extern "C" __global__ void warp_reduce_implicit(const float* x, float* out) {
    __shared__ volatile float s[64];
    int t = threadIdx.x;
    s[t] = x[t];
    s[t + 32] = 0.0f;
    __syncthreads();
    for (int d = 16; d > 0; d >>= 1) s[t] += s[t + d];  // BUG line 92: no __syncwarp()
    if (t == 0) out[0] = s[0];
}

// The same reduction made correct for independent thread scheduling.
extern "C" __global__ void warp_reduce_syncwarp(const float* x, float* out) {
    __shared__ float s[64];
    int t = threadIdx.x;
    s[t] = x[t];
    s[t + 32] = 0.0f;
    __syncthreads();
    for (int d = 16; d > 0; d >>= 1) {
        float v = s[t] + s[t + d];
        __syncwarp();
        s[t] = v;
        __syncwarp();
    }
    if (t == 0) out[0] = s[0];
}

extern "C" __global__ void shared_atomics(int* out) {
    __shared__ int count;
    if (threadIdx.x == 0) count = 0;
    __syncthreads();
    atomicAdd(&count, 1);  // atomic with atomic: no hazard
    __syncthreads();
    out[threadIdx.x] = count;
}

extern "C" __global__ void atomic_and_plain(int* out) {
    __shared__ int count;
    if (threadIdx.x == 0) count = 0;
    __syncthreads();
    atomicAdd(&count, 1);  // line 125
    out[threadIdx.x] = count;  // BUG line 126: a plain read while others still add
}

// --- initcheck ------------------------------------------------------------------
extern "C" __global__ void shared_read_unwritten(float* out) {
    __shared__ float buf[64];
    buf[threadIdx.x] = 1.0f;
    __syncthreads();
    out[threadIdx.x] = buf[threadIdx.x + 1];  // BUG line 134: buf[blockDim.x] was never written
}

extern "C" __global__ void copy(float* out, const float* x) {
    out[threadIdx.x] = x[threadIdx.x];  // line 138: reads x
}

// --- synccheck ------------------------------------------------------------------
extern "C" __global__ void divergent_syncthreads(float* out) {
    if (threadIdx.x < 16) {
        __syncthreads();  // BUG line 144: half the block waits here ...
    } else {
        __syncthreads();  // BUG line 146: ... the other half here
    }
    out[threadIdx.x] = 1.0f;
}

extern "C" __global__ void mask_misses_caller(float* out) {
    out[threadIdx.x] = __shfl_sync(0x0000ffffu, out[threadIdx.x], 0);  // BUG line 152: lanes 16..31 are not in the mask
}

extern "C" __global__ void shuffle_reads_outside_mask(float* out) {
    float v = out[threadIdx.x];
    if (threadIdx.x < 16) v += __shfl_down_sync(0x0000ffffu, v, 8);  // BUG line 157: lanes 8..15 read 16..23
    out[threadIdx.x] = v;
}

// --- faults ---------------------------------------------------------------------------
extern "C" __global__ void spins_forever(int* out) {
    if (threadIdx.x == 1)
        while (true) out[1]++;  // BUG line 164: never ends
    out[threadIdx.x] = 1;
}

extern "C" __global__ void divides_by(int* out, int d) {
    out[threadIdx.x] = 100 / (d - (int)threadIdx.x);  // BUG line 169: thread d divides by zero
}

extern "C" __global__ void divides_by_literal_zero(int* out) {
    int zero = 0;
    out[threadIdx.x] = (int)threadIdx.x / zero;  // BUG line 174: the compiler plants a trap
}

__device__ int recurse(int depth) {
    volatile int pad[64];
    pad[depth % 64] = depth;
    return depth <= 0 ? pad[0] : recurse(depth + 1) + pad[depth % 64];  // BUG line 180: no end
}

extern "C" __global__ void recursion(int* out) {
    out[threadIdx.x] = recurse(1);
}

extern "C" __global__ void huge_local_array(float* out, int n) {
    volatile float big[256 * 1024];  // BUG line 188: 1 MiB of locals, the stack is 128 KiB
    big[n] = 1.0f;
    out[threadIdx.x] = big[n];
}
