// Chapter 03: softmax and causal multi-head attention as CUDA kernels.
//
// Same layout as pystory/attention.py and csrc/attention.c: qkv is
// (B, T, 3C) row-major, token (b, t)'s query of head h is the hs floats at
// qkv[(b*T + t)*3C + h*hs], its key at + C, its value at + 2C; out is (B, T, C).
//
//   softmax      three versions: a thread, a warp, a block per row (online)
//   naive        scores, softmax, weighted sum: one simple kernel per step,
//                the (B, NH, T, T) matrix in global memory between them
//   flash        one kernel per pass that keeps a tile of keys (or values) in
//                shared memory and the running softmax in registers; the
//                (T, T) matrix never reaches global memory. Compiled for head
//                sizes up to 16, 32, 64, 128 and 256 (a template; one extern "C"
//                entry point per size, because Python finds kernels by name);
//                any head size 1..256 runs on the next size up, the dimensions
//                past it masked.

#include "common.cuh"   // NEG_INF, FULL_MASK, warp_sum, warp_max, online_merge, warp_online_merge

// --- softmax ------------------------------------------------------------------

// softmax_forward_naive_kernel (version 1): one thread per row, three passes
// (max, sum of exponentials, divide). Thread mapping: row r = blockIdx.x *
// blockDim.x + threadIdx.x. The 32 threads of a warp read 32 different rows:
// every load touches 32 cache lines, so this is slow for any N.
extern "C" __global__ void __launch_bounds__(1024)
softmax_forward_naive_kernel(float* __restrict__ y, const float* __restrict__ x, int R, int N) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= R) return;
    const float* xr = x + (long long)r * N;
    float* yr = y + (long long)r * N;
    float maxv = NEG_INF;
    for (int i = 0; i < N; i++) maxv = fmaxf(maxv, xr[i]);
    float sum = 0.0f;
    for (int i = 0; i < N; i++) sum += expf(xr[i] - maxv);
    float inv = 1.0f / sum;
    for (int i = 0; i < N; i++) yr[i] = expf(xr[i] - maxv) * inv;
}

// softmax_forward_warp_kernel (version 2): one warp per row.
// Thread mapping: warp w of the block takes row r = blockIdx.x * (blockDim.x / 32) + w;
// lane l reads columns l, l + 32, ... (coalesced). Max and sum are combined
// across the 32 lanes with shuffles; three passes over the row, as in v1.
extern "C" __global__ void __launch_bounds__(1024)
softmax_forward_warp_kernel(float* __restrict__ y, const float* __restrict__ x, int R, int N) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int r = blockIdx.x * (blockDim.x / 32) + warp;
    if (r >= R) return;  // the whole warp leaves together
    const float* xr = x + (long long)r * N;
    float* yr = y + (long long)r * N;
    float maxv = NEG_INF;
    for (int i = lane; i < N; i += 32) maxv = fmaxf(maxv, xr[i]);
    maxv = warp_max(maxv);
    float sum = 0.0f;
    for (int i = lane; i < N; i += 32) sum += expf(xr[i] - maxv);
    float inv = 1.0f / warp_sum(sum);
    for (int i = lane; i < N; i += 32) yr[i] = expf(xr[i] - maxv) * inv;
}

// softmax_forward_online_kernel (version 3): one block per row, and the max
// and the sum in a single pass (the online softmax).
// Thread mapping: block b takes row b; thread t reads columns t, t + blockDim.x, ...
// keeping a running (max m, sum s of exp(x - m)); when a larger x arrives
// the sum so far is rescaled by exp(m_old - x). The block's summaries are
// merged by shuffles within each warp, then warp 0 merges the per-warp
// summaries from shared memory. A second pass writes y. blockDim.x is a
// multiple of 32, at most 1024.
extern "C" __global__ void __launch_bounds__(1024)
softmax_forward_online_kernel(float* __restrict__ y, const float* __restrict__ x, int R, int N) {
    __shared__ float warp_m[32], warp_s[32];
    int r = blockIdx.x, t = threadIdx.x;
    int warp = t / 32, lane = t % 32, nwarps = blockDim.x / 32;
    const float* xr = x + (long long)r * N;
    float* yr = y + (long long)r * N;
    float m = NEG_INF, s = 0.0f;
    for (int i = t; i < N; i += blockDim.x) online_merge(m, s, xr[i], 1.0f);
    warp_online_merge(m, s);
    if (lane == 0) {
        warp_m[warp] = m;
        warp_s[warp] = s;
    }
    __syncthreads();
    if (warp == 0) {
        m = lane < nwarps ? warp_m[lane] : NEG_INF;
        s = lane < nwarps ? warp_s[lane] : 0.0f;
        warp_online_merge(m, s);
        if (lane == 0) {
            warp_m[0] = m;
            warp_s[0] = s;
        }
    }
    __syncthreads();
    m = warp_m[0];
    float inv = 1.0f / warp_s[0];
    for (int i = t; i < N; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;
}

// softmax_backward_kernel: dx = y * (dy - sum(dy * y)), one warp per row.
// Thread mapping as in softmax_forward_warp_kernel; the dot product is a
// shuffle reduction, then each lane writes its columns.
extern "C" __global__ void __launch_bounds__(1024)
softmax_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                        const float* __restrict__ y, int R, int N) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int r = blockIdx.x * (blockDim.x / 32) + warp;
    if (r >= R) return;
    const float* dyr = dy + (long long)r * N;
    const float* yr = y + (long long)r * N;
    float* dxr = dx + (long long)r * N;
    float dot = 0.0f;
    for (int i = lane; i < N; i += 32) dot += dyr[i] * yr[i];
    dot = warp_sum(dot);
    for (int i = lane; i < N; i += 32) dxr[i] = yr[i] * (dyr[i] - dot);
}

// --- naive attention: the (B, NH, T, T) matrix in global memory ----------------

// attention_forward_naive_scores_kernel: att[b, h, t, t2] = scale * q_t . k_t2,
// or -inf where t2 > t (the future). Thread mapping: one thread per entry
// of the (B, NH, T, T) matrix, i = ((b*NH + h)*T + t)*T + t2; neighbouring
// threads take neighbouring keys t2, so the writes are coalesced (the k
// reads are hs floats apart: the naive part).
extern "C" __global__ void __launch_bounds__(1024)
attention_forward_naive_scores_kernel(float* __restrict__ att, const float* __restrict__ qkv,
                                      int B, int T, int C, int NH) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * NH * T * T) return;
    int t2 = (int)(i % T), t = (int)((i / T) % T), h = (int)((i / ((long long)T * T)) % NH);
    int b = (int)(i / ((long long)NH * T * T));
    int hs = C / NH, C3 = 3 * C;
    if (t2 > t) {
        att[i] = NEG_INF;  // softmax turns it into 0
        return;
    }
    const float* q = qkv + ((long long)b * T + t) * C3 + h * hs;
    const float* k = qkv + ((long long)b * T + t2) * C3 + C + h * hs;
    float dot = 0.0f;
    for (int d = 0; d < hs; d++) dot += q[d] * k[d];
    att[i] = dot * rsqrtf((float)hs);
}

// attention_forward_naive_values_kernel: out[b, t, h*hs + d] = sum_t2 att[b, h, t, t2] v_t2[d].
// Thread mapping: one thread per output float, i = (b*T + t)*C + h*hs + d:
// neighbouring threads take neighbouring d, so v and out accesses are coalesced.
extern "C" __global__ void __launch_bounds__(1024)
attention_forward_naive_values_kernel(float* __restrict__ out, const float* __restrict__ att,
                                      const float* __restrict__ qkv, int B, int T, int C, int NH) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * T * C) return;
    int c = (int)(i % C), t = (int)((i / C) % T), b = (int)(i / ((long long)T * C));
    int hs = C / NH, h = c / hs, C3 = 3 * C;
    const float* arow = att + (((long long)b * NH + h) * T + t) * T;
    const float* v = qkv + (long long)b * T * C3 + 2 * C + c;
    float sum = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) sum += arow[t2] * v[(long long)t2 * C3];
    out[i] = sum;
}

// attention_backward_naive_datt_kernel: datt[b, h, t, t2] = dout_t . v_t2 (0 in the future).
// Thread mapping: one thread per (B, NH, T, T) entry, as in the scores kernel.
extern "C" __global__ void __launch_bounds__(1024)
attention_backward_naive_datt_kernel(float* __restrict__ datt, const float* __restrict__ dout,
                                     const float* __restrict__ qkv, int B, int T, int C, int NH) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * NH * T * T) return;
    int t2 = (int)(i % T), t = (int)((i / T) % T), h = (int)((i / ((long long)T * T)) % NH);
    int b = (int)(i / ((long long)NH * T * T));
    int hs = C / NH, C3 = 3 * C;
    if (t2 > t) {
        datt[i] = 0.0f;
        return;
    }
    const float* dy = dout + ((long long)b * T + t) * C + h * hs;
    const float* v = qkv + ((long long)b * T + t2) * C3 + 2 * C + h * hs;
    float dot = 0.0f;
    for (int d = 0; d < hs; d++) dot += dy[d] * v[d];
    datt[i] = dot;
}

// attention_backward_naive_dv_kernel: dv_t2[d] = sum_{t >= t2} att[b, h, t, t2] dout_t[d].
// Thread mapping: one thread per dv float, i = (b*T + t2)*C + h*hs + d (coalesced over d).
extern "C" __global__ void __launch_bounds__(1024)
attention_backward_naive_dv_kernel(float* __restrict__ dqkv, const float* __restrict__ dout,
                                   const float* __restrict__ att, int B, int T, int C, int NH) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * T * C) return;
    int c = (int)(i % C), t2 = (int)((i / C) % T), b = (int)(i / ((long long)T * C));
    int hs = C / NH, h = c / hs, C3 = 3 * C;
    const float* acol = att + ((long long)b * NH + h) * T * T + t2;  // column t2, stride T
    float sum = 0.0f;
    for (int t = t2; t < T; t++) sum += acol[(long long)t * T] * dout[((long long)b * T + t) * C + c];
    dqkv[((long long)b * T + t2) * C3 + 2 * C + c] = sum;
}

// attention_backward_naive_dqk_kernel: with dS = dscores (already times the scale),
//   dq_t[d] = sum_{t2 <= t} dS[t, t2] k_t2[d]     (row t of dS)
//   dk_t[d] = sum_{t' >= t} dS[t', t] q_t'[d]     (column t of dS)
// Thread mapping: one thread per (b, t, h, d), i = (b*T + t)*C + h*hs + d; it
// writes both dq and dk of that float, so nothing is accumulated across threads.
extern "C" __global__ void __launch_bounds__(1024)
attention_backward_naive_dqk_kernel(float* __restrict__ dqkv, const float* __restrict__ dscores,
                                    const float* __restrict__ qkv, int B, int T, int C, int NH) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)B * T * C) return;
    int c = (int)(i % C), t = (int)((i / C) % T), b = (int)(i / ((long long)T * C));
    int hs = C / NH, h = c / hs, C3 = 3 * C;
    const float* ds = dscores + ((long long)b * NH + h) * T * T;
    const float* base = qkv + (long long)b * T * C3 + c;   // q of token 0, channel c
    float dq = 0.0f, dk = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) dq += ds[(long long)t * T + t2] * base[(long long)t2 * C3 + C];
    for (int tq = t; tq < T; tq++) dk += ds[(long long)tq * T + t] * base[(long long)tq * C3];
    dqkv[((long long)b * T + t) * C3 + c] = dq;
    dqkv[((long long)b * T + t) * C3 + C + c] = dk;
}

// --- flash attention -------------------------------------------------------------
//
// All three flash kernels share one thread mapping: a block of 4 warps, each
// warp owns ROWS rows (query rows in the forward and dq kernels, key rows in
// the dk/dv kernel), and the other side comes in tiles of BLOCK_K = 32 rows
// held in ONE shared buffer, *transposed* with a padded stride of 33:
// Xt[d * 33 + j]. The buffer holds the key tile, then the value tile (the
// scores of a tile are kept in registers in between), so a head of 256
// floats fits the 48 KiB of shared memory. Then
//   * lane = j (one score per lane): lane j reads Xt[d*33 + j], consecutive
//     addresses, no bank conflict, while Rows[r][d] is one broadcast;
//   * lane = d (one output dimension per lane, HS_MAX / 32 of them):
//     lane d reads Xt[d*33 + j], 33 floats apart = 33 banks apart, no conflict.
// The scores p_j of a row live one per lane and are handed to every lane
// with __shfl_sync(p, j), so the (T, T) matrix exists only as 32 registers.
// The head size hs = C / NH is read at run time; HS_MAX (the template) only
// sizes the registers, and dimensions d >= hs are masked.

#define HEAD_SIZE_MAX 256   // the largest instance, as in pystory/attention.py and csrc/attention.c

template <int HS_MAX> struct Flash {
    static constexpr int WARPS = 4;
    static constexpr int ROWS = HS_MAX >= 256 ? 1 : HS_MAX >= 128 ? 2 : 4;  // rows per warp: shared memory < 48 KiB
    static constexpr int BLOCK_Q = WARPS * ROWS;       // rows per block (queries; keys in dk/dv)
    static constexpr int BLOCK_K = 32;                 // rows per tile of the other side: one per lane
    static constexpr int LD = 33;                      // padded stride of the transposed tile
    static constexpr int DPL = (HS_MAX + 31) / 32;     // output dimensions per lane
};

// Copies rows t0 .. t0 + 31 of a head (rows of `src`, `stride` floats apart,
// times `scale`) into the transposed tile Xt[d * LD + j]; rows past T are 0.
__device__ __forceinline__ void load_tile_t(float* Xt, const float* src, long long stride, int t0, int T,
                                            int hs, float scale) {
    for (int idx = threadIdx.x; idx < 32 * hs; idx += blockDim.x) {
        int j = idx / hs, d = idx % hs;
        Xt[d * 33 + j] = t0 + j < T ? src[(long long)(t0 + j) * stride + d] * scale : 0.0f;
    }
}

// Copies the block's rows r = 0 .. rows-1 (row t0 + r) into Rows[r * hs + d]; rows past T are 0.
__device__ __forceinline__ void load_rows(float* Rows, const float* src, long long stride, int t0, int rows,
                                          int T, int hs, float scale) {
    for (int idx = threadIdx.x; idx < rows * hs; idx += blockDim.x) {
        int r = idx / hs, d = idx % hs;
        Rows[idx] = t0 + r < T ? src[(long long)(t0 + r) * stride + d] * scale : 0.0f;
    }
}

// Forward: block = (b, h, tile of BLOCK_Q queries). Shared: Qs[BLOCK_Q][hs]
// (q * scale) and Xt[hs][33]. For each key tile up to the diagonal, each warp,
// for each of its rows: s = q . k_lane (lane = key), the online softmax update
// of (m, l) with a warp max and a warp sum; then the value tile replaces the
// keys and acc[d] += sum_j p_j v_j[d] (lane = dimension). Writes out = acc / l
// and lse = m + log l.
template <int HS_MAX>
__device__ void flash_forward(float* __restrict__ out, float* __restrict__ lse,
                              const float* __restrict__ qkv, int B, int T, int C, int NH, float* smem) {
    typedef Flash<HS_MAX> F;
    int hs = C / NH;
    float* Qs = smem;                    // [BLOCK_Q][hs]
    float* Xt = Qs + F::BLOCK_Q * hs;    // [hs][LD]: the key tile, then the value tile
    int ntiles = (T + F::BLOCK_Q - 1) / F::BLOCK_Q;
    int bh = blockIdx.x / ntiles;
    int tile = ntiles - 1 - blockIdx.x % ntiles;  // the longest tiles (near the end) start first
    int b = bh / NH, h = bh % NH, C3 = 3 * C;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int i0 = tile * F::BLOCK_Q;
    float scale = rsqrtf((float)hs);
    const float* base = qkv + (long long)b * T * C3 + h * hs;

    load_rows(Qs, base, C3, i0, F::BLOCK_Q, T, hs, scale);
    float m[F::ROWS], l[F::ROWS], p[F::ROWS], acc[F::ROWS][F::DPL];
    #pragma unroll
    for (int k = 0; k < F::ROWS; k++) {
        m[k] = NEG_INF;
        l[k] = 0.0f;
        #pragma unroll
        for (int c = 0; c < F::DPL; c++) acc[k][c] = 0.0f;
    }
    int last = min(i0 + F::BLOCK_Q, T) - 1;     // the tile's last query
    for (int j0 = 0; j0 <= last; j0 += F::BLOCK_K) {
        __syncthreads();                        // everyone is done with the previous tile
        load_tile_t(Xt, base + C, C3, j0, T, hs, 1.0f);
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {     // scores against the key tile
            int r = warp * F::ROWS + k, t = i0 + r;
            if (t >= T || j0 > t) continue;     // same for the whole warp: shuffles stay full
            const float* q = Qs + r * hs;
            float s = 0.0f;
            for (int d = 0; d < hs; d++) s += q[d] * Xt[d * F::LD + lane];
            bool visible = j0 + lane <= t;
            float mnew = fmaxf(m[k], warp_max(visible ? s : NEG_INF));  // finite: key j0 <= t is visible
            p[k] = visible ? expf(s - mnew) : 0.0f;
            float corr = expf(m[k] - mnew);     // 0 on the first tile (m = -inf)
            l[k] = l[k] * corr + warp_sum(p[k]);
            m[k] = mnew;
            #pragma unroll
            for (int c = 0; c < F::DPL; c++) acc[k][c] *= corr;
        }
        __syncthreads();                        // the keys are read: the values replace them
        load_tile_t(Xt, base + 2 * C, C3, j0, T, hs, 1.0f);
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {     // acc += p V
            int t = i0 + warp * F::ROWS + k;
            if (t >= T || j0 > t) continue;
            int nj = min(F::BLOCK_K, t - j0 + 1);   // keys past the diagonal have p = 0: skip them
            for (int j = 0; j < nj; j++) {
                float pj = __shfl_sync(FULL_MASK, p[k], j);
                #pragma unroll
                for (int c = 0; c < F::DPL; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) acc[k][c] += pj * Xt[d * F::LD + j];
                }
            }
        }
    }
    #pragma unroll
    for (int k = 0; k < F::ROWS; k++) {
        int t = i0 + warp * F::ROWS + k;
        if (t >= T) continue;
        float inv = 1.0f / l[k];
        #pragma unroll
        for (int c = 0; c < F::DPL; c++) {
            int d = lane + 32 * c;
            if (d < hs) out[((long long)b * T + t) * C + h * hs + d] = acc[k][c] * inv;
        }
        if (lane == 0) lse[((long long)b * NH + h) * T + t] = m[k] + logf(l[k]);
    }
}

// attention_backward_flash_d_kernel: D[b, h, t] = dout_t . out_t over the head's
// dimensions (= sum_j P dP, the softmax backward's row term). Thread mapping:
// one warp per (b, t, h) row, lanes over d, a shuffle sum.
extern "C" __global__ void __launch_bounds__(1024)
attention_backward_flash_d_kernel(float* __restrict__ D, const float* __restrict__ dout,
                                  const float* __restrict__ out, int B, int T, int C, int NH) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    long long row = (long long)blockIdx.x * (blockDim.x / 32) + warp;  // (b*T + t)*NH + h
    if (row >= (long long)B * T * NH) return;
    int hs = C / NH, h = (int)(row % NH);
    long long bt = row / NH;
    int t = (int)(bt % T), b = (int)(bt / T);
    const float* dy = dout + bt * C + h * hs;
    const float* y = out + bt * C + h * hs;
    float dot = 0.0f;
    for (int d = lane; d < hs; d += 32) dot += dy[d] * y[d];
    dot = warp_sum(dot);
    if (lane == 0) D[((long long)b * NH + h) * T + t] = dot;
}

// dq: block = (b, h, tile of BLOCK_Q queries), like the forward. Shared: Qs and
// dOs [BLOCK_Q][hs], Xt [hs][33]. Per row and key tile (lane = key): first the
// value tile, dp = dout . v; then the key tile, p = exp(q . k - lse),
// ds = p (dp - D), and (lane = dimension) dq[d] += sum_j ds_j k_j[d].
// No atomics: the block owns its rows.
template <int HS_MAX>
__device__ void flash_backward_dq(float* __restrict__ dqkv, const float* __restrict__ dout,
                                  const float* __restrict__ qkv, const float* __restrict__ lse,
                                  const float* __restrict__ D, int B, int T, int C, int NH, float* smem) {
    typedef Flash<HS_MAX> F;
    int hs = C / NH;
    float* Qs = smem;                    // [BLOCK_Q][hs]
    float* dOs = Qs + F::BLOCK_Q * hs;   // [BLOCK_Q][hs]
    float* Xt = dOs + F::BLOCK_Q * hs;   // [hs][LD]: the value tile, then the key tile
    int ntiles = (T + F::BLOCK_Q - 1) / F::BLOCK_Q;
    int bh = blockIdx.x / ntiles;
    int tile = ntiles - 1 - blockIdx.x % ntiles;
    int b = bh / NH, h = bh % NH, C3 = 3 * C;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int i0 = tile * F::BLOCK_Q;
    float scale = rsqrtf((float)hs);
    const float* base = qkv + (long long)b * T * C3 + h * hs;

    load_rows(Qs, base, C3, i0, F::BLOCK_Q, T, hs, scale);
    load_rows(dOs, dout + (long long)b * T * C + h * hs, C, i0, F::BLOCK_Q, T, hs, 1.0f);
    float dq[F::ROWS][F::DPL], lse_r[F::ROWS], D_r[F::ROWS], dp[F::ROWS];
    #pragma unroll
    for (int k = 0; k < F::ROWS; k++) {
        int t = min(i0 + warp * F::ROWS + k, T - 1);
        lse_r[k] = lse[((long long)b * NH + h) * T + t];
        D_r[k] = D[((long long)b * NH + h) * T + t];
        #pragma unroll
        for (int c = 0; c < F::DPL; c++) dq[k][c] = 0.0f;
    }
    int last = min(i0 + F::BLOCK_Q, T) - 1;
    for (int j0 = 0; j0 <= last; j0 += F::BLOCK_K) {
        __syncthreads();
        load_tile_t(Xt, base + 2 * C, C3, j0, T, hs, 1.0f);
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {     // dp = dout . v (lane = key)
            int r = warp * F::ROWS + k;
            dp[k] = 0.0f;
            for (int d = 0; d < hs; d++) dp[k] += dOs[r * hs + d] * Xt[d * F::LD + lane];
        }
        __syncthreads();
        load_tile_t(Xt, base + C, C3, j0, T, hs, 1.0f);
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {
            int r = warp * F::ROWS + k, t = i0 + r;
            if (t >= T || j0 > t) continue;     // warp-uniform
            float s = 0.0f;
            for (int d = 0; d < hs; d++) s += Qs[r * hs + d] * Xt[d * F::LD + lane];
            float p = j0 + lane <= t ? expf(s - lse_r[k]) : 0.0f;
            float ds = p * (dp[k] - D_r[k]);
            int nj = min(F::BLOCK_K, t - j0 + 1);
            for (int j = 0; j < nj; j++) {
                float dsj = __shfl_sync(FULL_MASK, ds, j);
                #pragma unroll
                for (int c = 0; c < F::DPL; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) dq[k][c] += dsj * Xt[d * F::LD + j];
                }
            }
        }
    }
    #pragma unroll
    for (int k = 0; k < F::ROWS; k++) {
        int t = i0 + warp * F::ROWS + k;
        if (t >= T) continue;
        #pragma unroll
        for (int c = 0; c < F::DPL; c++) {
            int d = lane + 32 * c;
            if (d < hs) dqkv[((long long)b * T + t) * C3 + h * hs + d] = dq[k][c] * scale;
        }
    }
}

// dk, dv: block = (b, h, tile of BLOCK_Q keys); the roles of queries and keys swap.
// Shared: Ks and Vs [BLOCK_Q][hs] (the block's keys and values), Xt [hs][33]
// (one tile of 32 queries: q * scale, then dout, then q * scale again), and the
// lse and D of those queries. Per key row and query tile (lane = query t):
//   p = exp(q_t . k - lse_t) (0 unless t >= key), dp = dout_t . v, ds = p (dp - D_t);
// then (lane = dimension) dv[d] += sum_t p_t dout_t[d], dk[d] += sum_t ds_t q_t[d].
template <int HS_MAX>
__device__ void flash_backward_dkv(float* __restrict__ dqkv, const float* __restrict__ dout,
                                   const float* __restrict__ qkv, const float* __restrict__ lse,
                                   const float* __restrict__ D, int B, int T, int C, int NH, float* smem) {
    typedef Flash<HS_MAX> F;
    int hs = C / NH;
    float* Ks = smem;                    // [BLOCK_Q][hs]
    float* Vs = Ks + F::BLOCK_Q * hs;    // [BLOCK_Q][hs]
    float* Xt = Vs + F::BLOCK_Q * hs;    // [hs][LD]: a query tile (q, dout, q)
    float* lse_s = Xt + hs * F::LD;      // [BLOCK_K]
    float* D_s = lse_s + F::BLOCK_K;     // [BLOCK_K]
    int ntiles = (T + F::BLOCK_Q - 1) / F::BLOCK_Q;
    int bh = blockIdx.x / ntiles;
    int tile = blockIdx.x % ntiles;      // the first keys see the most queries: they start first
    int b = bh / NH, h = bh % NH, C3 = 3 * C;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int u0 = tile * F::BLOCK_Q;          // first key of the block
    float scale = rsqrtf((float)hs);
    const float* base = qkv + (long long)b * T * C3 + h * hs;
    const float* dbase = dout + (long long)b * T * C + h * hs;
    const float* lse_bh = lse + ((long long)b * NH + h) * T;
    const float* D_bh = D + ((long long)b * NH + h) * T;

    load_rows(Ks, base + C, C3, u0, F::BLOCK_Q, T, hs, 1.0f);
    load_rows(Vs, base + 2 * C, C3, u0, F::BLOCK_Q, T, hs, 1.0f);
    float dk[F::ROWS][F::DPL], dv[F::ROWS][F::DPL], p[F::ROWS], ds[F::ROWS];
    #pragma unroll
    for (int k = 0; k < F::ROWS; k++)
        #pragma unroll
        for (int c = 0; c < F::DPL; c++) dk[k][c] = dv[k][c] = 0.0f;
    for (int i0 = u0; i0 < T; i0 += F::BLOCK_K) {   // queries before the first key cannot see it
        __syncthreads();
        load_tile_t(Xt, base, C3, i0, T, hs, scale);
        if (threadIdx.x < F::BLOCK_K) {
            int t = i0 + threadIdx.x;
            lse_s[threadIdx.x] = t < T ? lse_bh[t] : 0.0f;
            D_s[threadIdx.x] = t < T ? D_bh[t] : 0.0f;
        }
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {     // p = exp(q . k - lse) (lane = query)
            int r = warp * F::ROWS + k, u = u0 + r, t = i0 + lane;
            float s = 0.0f;
            for (int d = 0; d < hs; d++) s += Xt[d * F::LD + lane] * Ks[r * hs + d];
            p[k] = (u < T && t >= u && t < T) ? expf(s - lse_s[lane]) : 0.0f;
        }
        __syncthreads();
        load_tile_t(Xt, dbase, C, i0, T, hs, 1.0f);
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {     // dp, ds; dv += p dout
            int r = warp * F::ROWS + k, u = u0 + r;
            if (u >= T) continue;               // warp-uniform
            float dp = 0.0f;
            for (int d = 0; d < hs; d++) dp += Xt[d * F::LD + lane] * Vs[r * hs + d];
            ds[k] = p[k] * (dp - D_s[lane]);
            for (int i = 0; i < F::BLOCK_K; i++) {
                float pi = __shfl_sync(FULL_MASK, p[k], i);
                #pragma unroll
                for (int c = 0; c < F::DPL; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) dv[k][c] += pi * Xt[d * F::LD + i];
                }
            }
        }
        __syncthreads();
        load_tile_t(Xt, base, C3, i0, T, hs, scale);
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < F::ROWS; k++) {     // dk += ds q
            int u = u0 + warp * F::ROWS + k;
            if (u >= T) continue;
            for (int i = 0; i < F::BLOCK_K; i++) {
                float dsi = __shfl_sync(FULL_MASK, ds[k], i);
                #pragma unroll
                for (int c = 0; c < F::DPL; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) dk[k][c] += dsi * Xt[d * F::LD + i];   // Xt holds q * scale
                }
            }
        }
    }
    #pragma unroll
    for (int k = 0; k < F::ROWS; k++) {
        int u = u0 + warp * F::ROWS + k;
        if (u >= T) continue;
        #pragma unroll
        for (int c = 0; c < F::DPL; c++) {
            int d = lane + 32 * c;
            if (d < hs) {
                dqkv[((long long)b * T + u) * C3 + C + h * hs + d] = dk[k][c];
                dqkv[((long long)b * T + u) * C3 + 2 * C + h * hs + d] = dv[k][c];
            }
        }
    }
}

// The entry points: one per compiled head size, each serving every head size
// up to it. Launch with blockDim = 128 (4 warps), grid = B * NH * ceil(T / BLOCK_Q),
// and the dynamic shared memory that pystory/gpu/attention.py computes from the
// layouts above.
extern "C" __global__ void __launch_bounds__(128)
attention_forward_flash_hs16_kernel(float* out, float* lse, const float* qkv, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_forward<16>(out, lse, qkv, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_forward_flash_hs32_kernel(float* out, float* lse, const float* qkv, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_forward<32>(out, lse, qkv, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_forward_flash_hs64_kernel(float* out, float* lse, const float* qkv, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_forward<64>(out, lse, qkv, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_forward_flash_hs128_kernel(float* out, float* lse, const float* qkv, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_forward<128>(out, lse, qkv, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_forward_flash_hs256_kernel(float* out, float* lse, const float* qkv, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_forward<256>(out, lse, qkv, B, T, C, NH, smem);
}

extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dq_hs16_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                        const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dq<16>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dq_hs32_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                        const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dq<32>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dq_hs64_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                        const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dq<64>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dq_hs128_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                         const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dq<128>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dq_hs256_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                         const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dq<256>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}

extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dkv_hs16_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                         const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dkv<16>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dkv_hs32_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                         const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dkv<32>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dkv_hs64_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                         const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dkv<64>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dkv_hs128_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                          const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dkv<128>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
extern "C" __global__ void __launch_bounds__(128)
attention_backward_flash_dkv_hs256_kernel(float* dqkv, const float* dout, const float* qkv, const float* lse,
                                          const float* D, int B, int T, int C, int NH) {
    extern __shared__ float smem[];
    flash_backward_dkv<256>(dqkv, dout, qkv, lse, D, B, T, C, NH, smem);
}
