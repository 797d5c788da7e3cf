// Chapter 05: the text CNN's layers as CUDA kernels — conv1d over time and max-over-time pooling.
//
// Layouts as pystory/conv1d.py: x (B, T, Cin) channels-last, w (Cout, Cin, K)
// as torch.nn.Conv1d, out (B, Tout, Cout) with Tout = T - K + 1.
//
//   conv1d_forward   two versions:
//     1 naive   one thread per output (b, t, o): K*Cin multiply-adds, every
//               input read straight from global memory (each x value is read
//               by Cout*K threads, each weight by B*Tout threads).
//     2 tiled   a block computes a TILE x TILE tile of (positions, output
//               channels) of one story. Chunk by chunk of CCH input channels it
//               stages the TILE + K - 1 input rows and the TILE x CCH x K weights
//               in shared memory, so every value fetched from global memory is
//               used TILE times (the same idea as chapter 06's tiled matmul).
//   conv1d_backward  dx (a thread per input value), dw (a thread per weight,
//               summing over positions in order: deterministic, no atomics), db.
//   maxpool_time     a thread per (b, c) walks t (forward); a thread per dx value.
#define TILE 16      // positions x output channels per block of the tiled forward (16 x 16 threads)
#define CCH 16       // input channels staged per step

// conv1d_forward_naive_kernel (version 1).
// Thread mapping: i = blockIdx.x * blockDim.x + threadIdx.x -> (b, t, o) with o fastest:
// a warp shares one (b, t) and reads the same x values (a broadcast), each
// thread its own weights.
extern "C" __global__ void __launch_bounds__(256)
conv1d_forward_naive_kernel(float* __restrict__ out, const float* __restrict__ x, const float* __restrict__ w,
                            const float* __restrict__ b, int B, int T, int Cin, int Cout, int K) {
    int Tout = T - K + 1;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * Tout * Cout) return;
    int o = (int)(i % Cout);
    long long bt = i / Cout;
    int t = (int)(bt % Tout), bb = (int)(bt / Tout);
    const float* xw = x + ((long long)bb * T + t) * Cin;     // the window: K rows of Cin, contiguous
    const float* wo = w + (long long)o * Cin * K;
    float acc = b[o];
    for (int k = 0; k < K; k++)
        for (int c = 0; c < Cin; c++) acc += xw[(long long)k * Cin + c] * wo[(long long)c * K + k];
    out[i] = acc;
}

// conv1d_forward_tiled_kernel (version 2). Launch: grid (ceil(Cout/TILE), ceil(Tout/TILE), B),
// block (TILE, TILE), dynamic shared memory ((TILE + K - 1) * CCH + TILE * CCH * K) floats.
// Thread mapping: thread (tx, ty) of block (bx, by, bz) computes out[bz, by*TILE + ty, bx*TILE + tx].
// Per chunk of CCH input channels, the block loads
//   xs[r][c] = x[bz, t0 + r, c0 + c]       r < TILE + K - 1 (the rows its windows cover)
//   ws[o][c][k] = w[o0 + o, c0 + c, k]
// (consecutive threads load consecutive floats; out-of-range entries are 0),
// synchronises, and each thread adds its K*CCH products from shared memory.
// Every thread reaches both barriers of every chunk (no early return), so the
// barriers are in uniform control flow.
extern "C" __global__ void __launch_bounds__(TILE * TILE)
conv1d_forward_tiled_kernel(float* __restrict__ out, const float* __restrict__ x, const float* __restrict__ w,
                            const float* __restrict__ b, int B, int T, int Cin, int Cout, int K) {
    extern __shared__ float smem[];
    int Tout = T - K + 1, rows = TILE + K - 1;
    float* xs = smem;                        // (rows, CCH)
    float* ws = smem + rows * CCH;           // (TILE, CCH, K)
    int tx = threadIdx.x, ty = threadIdx.y, tid = ty * TILE + tx;
    int o0 = blockIdx.x * TILE, t0 = blockIdx.y * TILE, bb = blockIdx.z;
    int o = o0 + tx, t = t0 + ty;
    float acc = 0.0f;
    for (int c0 = 0; c0 < Cin; c0 += CCH) {
        for (int j = tid; j < rows * CCH; j += TILE * TILE) {
            int r = j / CCH, c = j % CCH;
            bool in = t0 + r < T && c0 + c < Cin;
            xs[j] = in ? x[((long long)bb * T + t0 + r) * Cin + c0 + c] : 0.0f;
        }
        for (int j = tid; j < TILE * CCH * K; j += TILE * TILE) {
            int oo = j / (CCH * K), c = (j / K) % CCH, k = j % K;
            bool in = o0 + oo < Cout && c0 + c < Cin;
            ws[j] = in ? w[((long long)(o0 + oo) * Cin + c0 + c) * K + k] : 0.0f;
        }
        __syncthreads();
        for (int k = 0; k < K; k++)
            for (int c = 0; c < CCH; c++) acc += xs[(ty + k) * CCH + c] * ws[(tx * CCH + c) * K + k];
        __syncthreads();                     // before the next chunk overwrites xs and ws
    }
    if (o < Cout && t < Tout) out[((long long)bb * Tout + t) * Cout + o] = acc + b[o];
}

// conv1d_backward_dx_kernel: dx[b, s, c] = sum_k sum_o dout[b, s-k, o] * w[o, c, k], 0 <= s-k < Tout.
// Thread mapping: one thread per dx value, c fastest (consecutive threads write
// consecutive floats, and read the same dout values: a broadcast).
extern "C" __global__ void __launch_bounds__(256)
conv1d_backward_dx_kernel(float* __restrict__ dx, const float* __restrict__ dout, const float* __restrict__ w,
                          int B, int T, int Cin, int Cout, int K) {
    int Tout = T - K + 1;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * T * Cin) return;
    int c = (int)(i % Cin);
    long long bs = i / Cin;
    int s = (int)(bs % T), bb = (int)(bs / T);
    float acc = 0.0f;
    for (int k = 0; k < K; k++) {
        int t = s - k;
        if (t < 0 || t >= Tout) continue;
        const float* d = dout + ((long long)bb * Tout + t) * Cout;
        for (int o = 0; o < Cout; o++) acc += d[o] * w[((long long)o * Cin + c) * K + k];
    }
    dx[i] = acc;
}

// conv1d_backward_dw_kernel: dw[o, c, k] = sum over (b, t) of dout[b, t, o] * x[b, t + k, c].
// Thread mapping: one thread per weight, indexed (o, k, c) with c fastest, so a
// warp reads consecutive channels of one x row (coalesced) and one dout value
// (a broadcast); each thread walks the positions in order: deterministic.
extern "C" __global__ void __launch_bounds__(256)
conv1d_backward_dw_kernel(float* __restrict__ dw, const float* __restrict__ dout, const float* __restrict__ x,
                          int B, int T, int Cin, int Cout, int K) {
    int Tout = T - K + 1;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)Cout * K * Cin) return;
    int c = (int)(i % Cin);
    int k = (int)((i / Cin) % K);
    int o = (int)(i / ((long long)Cin * K));
    float acc = 0.0f;
    for (int bb = 0; bb < B; bb++)
        for (int t = 0; t < Tout; t++)
            acc += dout[((long long)bb * Tout + t) * Cout + o] * x[((long long)bb * T + t + k) * Cin + c];
    dw[((long long)o * Cin + c) * K + k] = acc;
}

// conv1d_backward_db_kernel: db[o] = sum over every position of dout[., o].
// Thread mapping: one thread per output channel, rows in order (deterministic);
// neighbouring threads read neighbouring floats of a row (coalesced).
extern "C" __global__ void __launch_bounds__(256)
conv1d_backward_db_kernel(float* __restrict__ db, const float* __restrict__ dout, int rows, int Cout) {
    int o = blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= Cout) return;
    float acc = 0.0f;
    for (int r = 0; r < rows; r++) acc += dout[(long long)r * Cout + o];
    db[o] = acc;
}

// maxpool_time_forward_kernel: out[b, c] = max_t x[b, t, c], argmax[b, c] = the first t reaching it.
// Thread mapping: one thread per (b, c), c fastest: at each step t a warp reads 32
// consecutive channels of one row (coalesced). Strictly greater replaces, so a
// tie keeps the earlier t; a NaN beats any number (as np.argmax).
extern "C" __global__ void __launch_bounds__(256)
maxpool_time_forward_kernel(float* __restrict__ out, int* __restrict__ argmax, const float* __restrict__ x,
                            int B, int T, int C) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * C) return;
    int c = (int)(i % C), bb = (int)(i / C);
    const float* xb = x + (long long)bb * T * C + c;
    float best = xb[0];
    int arg = 0;
    for (int t = 1; t < T; t++) {
        float v = xb[(long long)t * C];
        if (v > best || (isnan(v) && !isnan(best))) {
            best = v;
            arg = t;
        }
    }
    out[i] = best;
    argmax[i] = arg;
}

// maxpool_time_backward_kernel: dx[b, t, c] = dout[b, c] if t == argmax[b, c] else 0.
// Thread mapping: one thread per dx value (every value is written: no memset needed).
extern "C" __global__ void __launch_bounds__(256)
maxpool_time_backward_kernel(float* __restrict__ dx, const float* __restrict__ dout, const int* __restrict__ argmax,
                             int B, int T, int C) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * T * C) return;
    int c = (int)(i % C);
    long long bt = i / C;
    int t = (int)(bt % T), bb = (int)(bt / T);
    long long j = (long long)bb * C + c;
    dx[i] = argmax[j] == t ? dout[j] : 0.0f;
}
