// Chapter 06 (and 04): the linear layer's matrix multiplies as CUDA kernels.
//
// One op does all the work: out[M, N] = A[M, K] @ B[K, N] (+ bias[N]).
// A and B are read through strides, A(i, k) = a[i*sam + k*sak] and
// B(k, j) = b[k*sbk + j*sbn], so one kernel serves all three products:
//   forward  out = x @ w.T + b      A = x     (sam=C, sak=1)   B = w.T (sbk=1, sbn=C)
//   dx       dx  = dout @ w         A = dout  (sam=OC, sak=1)  B = w   (sbk=C, sbn=1)
//   dw       dw  = dout.T @ x       A = dout.T (sam=1, sak=OC) B = x   (sbk=C, sbn=1)
// has_bias = 0 ignores `bias` (pass any array there).
//
// Three versions, slow to fast; the progression is the lesson:
//   naive     one thread per output, every operand straight from global memory
//   tiled     a block stages 16x16 tiles of A and B in shared memory: each value
//             loaded from global memory is used 16 times
//   regblock  a block computes a 128x128 tile, each thread an 8x8 sub-tile in
//             registers: each value loaded from shared memory is used 8 times,
//             and tiles come in with 16-byte (float4) loads where aligned

// matmul_naive_kernel (version 1).
// Thread mapping: a 2-D grid of 2-D blocks covers out; thread (x, y) of block
// (bx, by) computes out[i, j], j = bx*blockDim.x + x, i = by*blockDim.y + y.
// Neighbouring threads (x) write neighbouring j: stores are coalesced, but
// every thread walks a full row of A and column of B on its own.
extern "C" __global__ void __launch_bounds__(256)
matmul_naive_kernel(float* __restrict__ out, const float* __restrict__ a,
                    const float* __restrict__ b, const float* __restrict__ bias, int has_bias,
                    int M, int N, int K, int sam, int sak, int sbk, int sbn) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    int i = blockIdx.y * blockDim.y + threadIdx.y;
    if (i >= M || j >= N) return;
    float sum = has_bias ? bias[j] : 0.0f;
    for (int k = 0; k < K; k++) {
        sum += a[(long long)i * sam + (long long)k * sak] * b[(long long)k * sbk + (long long)j * sbn];
    }
    out[(long long)i * N + j] = sum;
}

#define TILE 16

// matmul_tiled_kernel (version 2).
// Thread mapping: blocks of 16x16 threads, one per output as in naive. The
// block walks K in steps of 16: its 256 threads first load a 16x16 tile of A
// and one of B into shared memory (one value each), __syncthreads, then each
// thread does 16 multiply-adds from shared memory. Global traffic drops 16x.
extern "C" __global__ void __launch_bounds__(TILE * TILE)
matmul_tiled_kernel(float* __restrict__ out, const float* __restrict__ a,
                    const float* __restrict__ b, const float* __restrict__ bias, int has_bias,
                    int M, int N, int K, int sam, int sak, int sbk, int sbn) {
    __shared__ float as[TILE][TILE];       // as[y][k] = A(i0 + y, k0 + k)
    __shared__ float bs[TILE][TILE + 1];   // bs[k][x] = B(k0 + k, j0 + x); +1 avoids bank conflicts
    int tx = threadIdx.x, ty = threadIdx.y;
    int i = blockIdx.y * TILE + ty;
    int j = blockIdx.x * TILE + tx;
    float sum = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        // Out-of-range values load as 0, so edge tiles need no special case below.
        as[ty][tx] = (i < M && k0 + tx < K) ? a[(long long)i * sam + (long long)(k0 + tx) * sak] : 0.0f;
        int jb = blockIdx.x * TILE + tx;
        bs[ty][tx] = (k0 + ty < K && jb < N) ? b[(long long)(k0 + ty) * sbk + (long long)jb * sbn] : 0.0f;
        __syncthreads();   // the tiles are complete before anyone reads them
        for (int k = 0; k < TILE; k++) {
            sum += as[ty][k] * bs[k][tx];
        }
        __syncthreads();   // everyone is done reading before the next tiles overwrite them
    }
    if (i < M && j < N) {
        out[(long long)i * N + j] = sum + (has_bias ? bias[j] : 0.0f);
    }
}

#define BM 128   // rows of out per block
#define BN 128   // columns of out per block
#define BK 16    // depth of one shared-memory step
#define TM 8     // rows per thread
#define TN 8     // columns per thread
#define RB_THREADS ((BM / TM) * (BN / TN))   // 256

// Load a BK x 128 tile of a matrix X(k, c) = x[k*sk + c*sc] (k < Kdim,
// c < Cdim, values outside load as 0) into sh[k][c], k < BK, c < 128.
// mode 1: X is contiguous along c (sc == 1) and 16-byte aligned -> float4 along c
// mode 2: X is contiguous along k (sk == 1) and 16-byte aligned -> float4 along k
// mode 0: one float at a time, neighbouring threads on the contiguous axis.
__device__ __forceinline__ void load_tile(float* sh, const float* __restrict__ x,
                                          int k0, int c0, int Kdim, int Cdim,
                                          int sk, int sc, int mode) {
    int t = threadIdx.x;
    if (mode == 1) {
        for (int idx = t; idx < BK * 32; idx += RB_THREADS) {
            int k = idx / 32, c = (idx % 32) * 4;         // 32 float4 per row of 128
            float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            if (k0 + k < Kdim && c0 + c < Cdim)          // Cdim % 4 == 0: all 4 in range
                v = *reinterpret_cast<const float4*>(x + (long long)(k0 + k) * sk + c0 + c);
            *reinterpret_cast<float4*>(sh + k * 128 + c) = v;
        }
    } else if (mode == 2) {
        for (int idx = t; idx < BK * 32; idx += RB_THREADS) {
            int c = idx / 4, k = (idx % 4) * 4;           // 4 float4 per column of 16
            float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            if (k0 + k < Kdim && c0 + c < Cdim)          // Kdim % 4 == 0: all 4 in range
                v = *reinterpret_cast<const float4*>(x + (long long)(c0 + c) * sc + k0 + k);
            sh[(k + 0) * 128 + c] = v.x;                   // transpose into k-major rows
            sh[(k + 1) * 128 + c] = v.y;
            sh[(k + 2) * 128 + c] = v.z;
            sh[(k + 3) * 128 + c] = v.w;
        }
    } else {
        for (int idx = t; idx < BK * 128; idx += RB_THREADS) {
            int k, c;
            if (sk == 1) { c = idx / BK; k = idx % BK; }   // neighbours read along k
            else         { k = idx / 128; c = idx % 128; } // neighbours read along c
            sh[k * 128 + c] = (k0 + k < Kdim && c0 + c < Cdim)
                ? x[(long long)(k0 + k) * sk + (long long)(c0 + c) * sc] : 0.0f;
        }
    }
}

// matmul_regblock_kernel (version 3).
// Thread mapping: a block of 256 threads computes a 128x128 tile of out;
// thread t owns the 8x8 sub-tile at rows (t / 16) * 8 and columns (t % 16) * 8.
// Per step of 16 along K, the block stages A's 128x16 and B's 16x128 tiles in
// shared memory, both stored k-major (as[k][i], bs[k][j]), so a thread reads
// its 8 A values and 8 B values for one k as two float4 each, then does the
// 8x8 outer product: 64 FMAs for 16 shared loads (naive: 1 FMA per 2 loads).
// The 64 accumulators stay in registers for the whole K loop.
extern "C" __global__ void __launch_bounds__(RB_THREADS)
matmul_regblock_kernel(float* __restrict__ out, const float* __restrict__ a,
                       const float* __restrict__ b, const float* __restrict__ bias, int has_bias,
                       int M, int N, int K, int sam, int sak, int sbk, int sbn,
                       int mode_a, int mode_b) {
    __shared__ __align__(16) float as[BK * BM];   // as[k*BM + i] = A(i0 + i, k0 + k)
    __shared__ __align__(16) float bs[BK * BN];   // bs[k*BN + j] = B(k0 + k, j0 + j)
    int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
    int ty = threadIdx.x / (BN / TN), tx = threadIdx.x % (BN / TN);
    float acc[TM][TN];
    for (int r = 0; r < TM; r++)
        for (int c = 0; c < TN; c++) acc[r][c] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += BK) {
        // A as X(k, i) = a[k*sak + i*sam]; B as X(k, j) = b[k*sbk + j*sbn].
        load_tile(as, a, k0, i0, K, M, sak, sam, mode_a);
        load_tile(bs, b, k0, j0, K, N, sbk, sbn, mode_b);
        __syncthreads();
        for (int k = 0; k < BK; k++) {
            float ra[TM], rb[TN];
            float4 a0 = *reinterpret_cast<const float4*>(as + k * BM + ty * TM);
            float4 a1 = *reinterpret_cast<const float4*>(as + k * BM + ty * TM + 4);
            float4 b0 = *reinterpret_cast<const float4*>(bs + k * BN + tx * TN);
            float4 b1 = *reinterpret_cast<const float4*>(bs + k * BN + tx * TN + 4);
            ra[0] = a0.x; ra[1] = a0.y; ra[2] = a0.z; ra[3] = a0.w;
            ra[4] = a1.x; ra[5] = a1.y; ra[6] = a1.z; ra[7] = a1.w;
            rb[0] = b0.x; rb[1] = b0.y; rb[2] = b0.z; rb[3] = b0.w;
            rb[4] = b1.x; rb[5] = b1.y; rb[6] = b1.z; rb[7] = b1.w;
            for (int r = 0; r < TM; r++)
                for (int c = 0; c < TN; c++) acc[r][c] += ra[r] * rb[c];
        }
        __syncthreads();
    }
    for (int r = 0; r < TM; r++) {
        int i = i0 + ty * TM + r;
        if (i >= M) break;
        for (int c = 0; c < TN; c++) {
            int j = j0 + tx * TN + c;
            if (j < N) out[(long long)i * N + j] = acc[r][c] + (has_bias ? bias[j] : 0.0f);
        }
    }
}

// linear_bias_backward_kernel: db[j] = sum over rows n of dout[n, j].
// Thread mapping: one thread per column j; it adds the rows in order, so the
// result is deterministic (no atomics). Neighbouring threads read neighbouring
// columns of the same row: coalesced.
extern "C" __global__ void __launch_bounds__(256)
linear_bias_backward_kernel(float* __restrict__ db, const float* __restrict__ dout, int N, int OC) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= OC) return;
    float sum = 0.0f;
    for (int n = 0; n < N; n++) {
        sum += dout[(long long)n * OC + j];
    }
    db[j] = sum;
}
