// Chapter 04: the GRU as CUDA kernels — the recurrence of pystory/gru.py.
//
// The big products (the input projection gi = x @ w_ih.T + b_ih for every
// step, and the weight gradients dx, dw_ih, dw_hh) are one launch each of
// cuda/linear.cu's matmul (pystory/gpu/gru.py calls it). This file holds what
// is particular to a recurrent network: the per-step gate math and the
// sequential loop, in three versions, slow to fast; the progression is the
// lesson:
//
//   1 steps       per step: the recurrent product gh = h @ w_hh.T + b_hh (a
//                 linear.cu matmul), then one small kernel per formula (r and
//                 z; the candidate n; the new h). Every intermediate goes
//                 through global memory, and a step is 4 launches (2T + ...
//                 for a sequence): at B*H = 16k threads a launch does almost
//                 no work, so the launch overhead (a few microseconds each) is
//                 the cost.
//   2 fused       per step: the matmul, then ONE gate kernel that reads gi and
//                 gh once and writes r, z, n, hn and h' (2 launches per step).
//   3 persistent  ONE launch for the whole sequence. A block owns BB batch
//                 rows and loops over all T steps itself: the state h of its
//                 rows stays on chip in shared memory from step to step, the
//                 recurrent product and the gates are fused in registers, and
//                 the recurrent weights, the same for every step and every
//                 block, stay in the L2 cache (3H x H floats: 768 KiB at
//                 H = 256, far from the 48 KiB of shared memory a block may
//                 use). Sequences are independent, so blocks never wait for
//                 each other: no grid-wide barrier is needed.
//
// Why not further? Keeping the weights in registers/shared memory across
// steps (Diamos et al., "Persistent RNNs", 2016) means spreading w_hh over
// many SMs, each owning some hidden units; then every step needs a barrier
// across the whole grid (each unit needs all of last step's h), which plain
// launches do not give and the CPU emulator cannot run. The lesson says more.
//
// The backward has the same three versions, walking the steps backwards.

#define BB 4    // batch rows per block in the persistent kernels

__device__ __forceinline__ float sigmoidf_(float a) { return 1.0f / (1.0f + expf(-a)); }

// ---------------------------------------------------------------------------------------------
// Forward, version 1 (steps): three kernels per step after the recurrent matmul.
// Layouts: gi (B, T, 3H), gh (B, 3H) for this step, gates (B, T, 4H) = r, z, n, hn, out (B, T, H).
// Thread mapping of all three: thread i = blockIdx.x * blockDim.x + threadIdx.x owns one
// (row b, unit j) of the step (neighbouring threads, neighbouring j: coalesced).

// gru_forward_rz_kernel: r and z, i over B * 2H: gates[b, t, c] = sigmoid(gi[b, t, c] + gh[b, c]), c < 2H.
extern "C" __global__ void __launch_bounds__(256)
gru_forward_rz_kernel(float* __restrict__ gates, const float* __restrict__ gi, const float* __restrict__ gh,
                      int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * 2 * H) return;
    int b = i / (2 * H), c = i % (2 * H);
    long long row = (long long)b * T + t;
    gates[row * 4 * H + c] = sigmoidf_(gi[row * 3 * H + c] + gh[(long long)b * 3 * H + c]);
}

// gru_forward_candidate_kernel: i over B * H: hn = gh_n, n = tanh(gi_n + r * hn); stores n and hn.
extern "C" __global__ void __launch_bounds__(256)
gru_forward_candidate_kernel(float* __restrict__ gates, const float* __restrict__ gi,
                             const float* __restrict__ gh, int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    long long row = (long long)b * T + t;
    float* s = gates + row * 4 * H;
    float hn = gh[(long long)b * 3 * H + 2 * H + j];
    s[2 * H + j] = tanhf(gi[row * 3 * H + 2 * H + j] + s[j] * hn);
    s[3 * H + j] = hn;
}

// gru_forward_update_kernel: i over B * H: h' = (1 - z) n + z h_prev, into out[b, t].
// h_prev is h0 at t = 0, else out[b, t-1].
extern "C" __global__ void __launch_bounds__(256)
gru_forward_update_kernel(float* __restrict__ out, const float* __restrict__ gates,
                          const float* __restrict__ h0, int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    long long row = (long long)b * T + t;
    const float* s = gates + row * 4 * H;
    float h = t ? out[(row - 1) * H + j] : h0[(long long)b * H + j];
    float z = s[H + j];
    out[row * H + j] = (1.0f - z) * s[2 * H + j] + z * h;
}

// ---------------------------------------------------------------------------------------------
// Forward, version 2 (fused): one kernel per step after the recurrent matmul.
// Thread mapping: thread i owns (b, j) = (i / H, i % H) and does the whole cell:
// it reads gi and gh once and writes r, z, n, hn and h'. Nothing else touches
// global memory between the matmul and the next step.
extern "C" __global__ void __launch_bounds__(256)
gru_forward_fused_kernel(float* __restrict__ out, float* __restrict__ gates, const float* __restrict__ gi,
                         const float* __restrict__ gh, const float* __restrict__ h0,
                         int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    long long row = (long long)b * T + t;
    const float* gir = gi + row * 3 * H;
    const float* g = gh + (long long)b * 3 * H;
    float h = t ? out[(row - 1) * H + j] : h0[(long long)b * H + j];
    float r = sigmoidf_(gir[j] + g[j]);
    float z = sigmoidf_(gir[H + j] + g[H + j]);
    float hn = g[2 * H + j];
    float n = tanhf(gir[2 * H + j] + r * hn);
    out[row * H + j] = (1.0f - z) * n + z * h;
    float* s = gates + row * 4 * H;
    s[j] = r;
    s[H + j] = z;
    s[2 * H + j] = n;
    s[3 * H + j] = hn;
}

// ---------------------------------------------------------------------------------------------
// Forward, version 3 (persistent): the whole sequence in one launch.

// gru_transpose_kernel: wt (H, 3H) = w_hh.T, so that the persistent kernel's
// threads (one per hidden unit j) read consecutive weights wt[k*3H + j].
// Thread mapping: thread i owns wt's element i = (k, c): reads w_hh[c*H + k]
// (strided, once per sequence), writes coalesced.
extern "C" __global__ void __launch_bounds__(256)
gru_transpose_kernel(float* __restrict__ wt, const float* __restrict__ w_hh, int H) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= 3 * H * H) return;
    int k = i / (3 * H), c = i % (3 * H);
    wt[i] = w_hh[(long long)c * H + k];
}

// gru_forward_persistent_kernel: all T steps for BB batch rows per block.
// Thread mapping: block x owns rows b0 = x*BB .. b0+BB-1 (rows past B compute
// zeros and store nothing). Thread j (and j + blockDim.x, ...) owns hidden
// unit j of all BB rows: per step it computes the three recurrent sums
//   gh_g[b][j] = b_hh[gH + j] + sum_k wt[k*3H + gH + j] * h[b][k]     (g = r, z, n)
// in 3*BB registers, reading each weight once and using it BB times; the
// weights are coalesced across threads (consecutive j), h[b][k] is the same
// address for the whole warp (a shared-memory broadcast, no bank conflict).
// Then the gates, still in registers, and h' goes to the other half of a
// double buffer in shared memory (others may still be reading h), and to out.
// One __syncthreads per step, in uniform control flow (every thread runs every
// step), publishes h' for the next step.
// Dynamic shared memory: 2 * BB * H floats (h and h', each (BB, H)).
extern "C" __global__ void __launch_bounds__(256)
gru_forward_persistent_kernel(float* __restrict__ out, float* __restrict__ gates,
                              const float* __restrict__ gi, const float* __restrict__ h0,
                              const float* __restrict__ wt, const float* __restrict__ b_hh,
                              int B, int T, int H) {
    extern __shared__ float sh[];
    float* hc = sh;               // h of this step, (BB, H)
    float* hx = sh + BB * H;      // h of the next step
    const int b0 = blockIdx.x * BB;
    const int G = 3 * H;
    for (int i = threadIdx.x; i < BB * H; i += blockDim.x) {
        int b = b0 + i / H;
        hc[i] = b < B ? h0[(long long)b * H + i % H] : 0.0f;
    }
    __syncthreads();
    for (int t = 0; t < T; t++) {
        for (int j = threadIdx.x; j < H; j += blockDim.x) {
            float ar[BB], az[BB], an[BB];
            for (int b = 0; b < BB; b++) {
                ar[b] = b_hh[j];
                az[b] = b_hh[H + j];
                an[b] = b_hh[2 * H + j];
            }
            for (int k = 0; k < H; k++) {
                const float* w = wt + (long long)k * G;
                float wr = w[j], wz = w[H + j], wn = w[2 * H + j];
                for (int b = 0; b < BB; b++) {
                    float hk = hc[b * H + k];
                    ar[b] += wr * hk;
                    az[b] += wz * hk;
                    an[b] += wn * hk;
                }
            }
            for (int b = 0; b < BB; b++) {
                float hnew = 0.0f;
                if (b0 + b < B) {
                    long long row = (long long)(b0 + b) * T + t;
                    const float* gir = gi + row * G;
                    float r = sigmoidf_(gir[j] + ar[b]);
                    float z = sigmoidf_(gir[H + j] + az[b]);
                    float n = tanhf(gir[2 * H + j] + r * an[b]);
                    hnew = (1.0f - z) * n + z * hc[b * H + j];
                    out[row * H + j] = hnew;
                    float* s = gates + row * 4 * H;
                    s[j] = r;
                    s[H + j] = z;
                    s[2 * H + j] = n;
                    s[3 * H + j] = an[b];
                }
                hx[b * H + j] = hnew;
            }
        }
        __syncthreads();          // every h' is written before anyone reads it as h
        float* tmp = hc;
        hc = hx;
        hx = tmp;
    }
}

// ---------------------------------------------------------------------------------------------
// Backward. Per step t (from T-1 down to 0), with d = dh + dout[:, t]:
//   dan = d (1 - z)(1 - n^2),  daz = d (h_prev - n) z (1 - z),  dar = dan hn r (1 - r)
//   dgi = (dar, daz, dan),  dgh = (dar, daz, dan r),  dh_prev = d z + dgh @ w_hh
// In versions 1 and 2 the running dh is kept as two (B, H) halves, carry = d z
// (from the gate kernels) and rec = dgh @ w_hh (from the matmul), so that no
// kernel has to add into a matmul's output. Both are zero before step T-1.

// gru_backward_candidate_kernel (version 1): i over B * H: d = carry + rec + dout;
// dan, daz into dgi (n, z) and dgh (z); d into dsum for the carry kernel.
extern "C" __global__ void __launch_bounds__(256)
gru_backward_candidate_kernel(float* __restrict__ dgi, float* __restrict__ dgh, float* __restrict__ dsum,
                              const float* __restrict__ carry, const float* __restrict__ rec,
                              const float* __restrict__ dout, const float* __restrict__ gates,
                              const float* __restrict__ out, const float* __restrict__ h0,
                              int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    long long row = (long long)b * T + t;
    float d = carry[i] + rec[i] + dout[row * H + j];
    const float* s = gates + row * 4 * H;
    float z = s[H + j], n = s[2 * H + j];
    float h = t ? out[(row - 1) * H + j] : h0[(long long)b * H + j];
    float dan = d * (1.0f - z) * (1.0f - n * n);
    float daz = d * (h - n) * z * (1.0f - z);
    dgi[row * 3 * H + H + j] = daz;
    dgi[row * 3 * H + 2 * H + j] = dan;
    dgh[row * 3 * H + H + j] = daz;
    dsum[i] = d;
}

// gru_backward_reset_kernel (version 1): i over B * H: dar from dan (read back from dgi);
// dgi r, dgh r and dgh n = dan r.
extern "C" __global__ void __launch_bounds__(256)
gru_backward_reset_kernel(float* __restrict__ dgi, float* __restrict__ dgh, const float* __restrict__ gates,
                          int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    long long row = (long long)b * T + t;
    const float* s = gates + row * 4 * H;
    float r = s[j], hn = s[3 * H + j];
    float dan = dgi[row * 3 * H + 2 * H + j];
    float dar = dan * hn * r * (1.0f - r);
    dgi[row * 3 * H + j] = dar;
    dgh[row * 3 * H + j] = dar;
    dgh[row * 3 * H + 2 * H + j] = dan * r;
}

// gru_backward_carry_kernel (version 1): i over B * H: carry = d z.
extern "C" __global__ void __launch_bounds__(256)
gru_backward_carry_kernel(float* __restrict__ carry, const float* __restrict__ dsum,
                          const float* __restrict__ gates, int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    carry[i] = dsum[i] * gates[((long long)b * T + t) * 4 * H + H + j];
}

// gru_backward_fused_kernel (version 2): i over B * H: the whole cell backward in
// one pass: d, dgi, dgh and the new carry = d z (in place: thread i alone owns carry[i]).
extern "C" __global__ void __launch_bounds__(256)
gru_backward_fused_kernel(float* __restrict__ dgi, float* __restrict__ dgh, float* __restrict__ carry,
                          const float* __restrict__ rec, const float* __restrict__ dout,
                          const float* __restrict__ gates, const float* __restrict__ out,
                          const float* __restrict__ h0, int B, int T, int H, int t) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * H) return;
    int b = i / H, j = i % H;
    long long row = (long long)b * T + t;
    float d = carry[i] + rec[i] + dout[row * H + j];
    const float* s = gates + row * 4 * H;
    float r = s[j], z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j];
    float h = t ? out[(row - 1) * H + j] : h0[(long long)b * H + j];
    float dan = d * (1.0f - z) * (1.0f - n * n);
    float daz = d * (h - n) * z * (1.0f - z);
    float dar = dan * hn * r * (1.0f - r);
    float* di = dgi + row * 3 * H;
    float* dg = dgh + row * 3 * H;
    di[j] = dar;
    di[H + j] = daz;
    di[2 * H + j] = dan;
    dg[j] = dar;
    dg[H + j] = daz;
    dg[2 * H + j] = dan * r;
    carry[i] = d * z;
}

// gru_backward_finish_kernel (versions 1, 2): dh0 = carry + rec, i over B * H.
extern "C" __global__ void __launch_bounds__(256)
gru_backward_finish_kernel(float* __restrict__ dh0, const float* __restrict__ carry,
                           const float* __restrict__ rec, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    dh0[i] = carry[i] + rec[i];
}

// gru_backward_persistent_kernel (version 3): the whole backward recurrence in one launch.
// Thread mapping: block x owns rows b0 = x*BB ..; thread j owns hidden unit j
// (and j + blockDim.x, ...) of its BB rows in both phases of a step, so it
// alone reads and writes dh[b][j]:
//   phase 1  the cell backward for (b, j): dgi and dgh to global memory (the
//            weight gradients need them), dgh also to shared memory;
//   barrier  (phase 2 reads every unit's dgh)
//   phase 2  dh[b][j] += sum_c dgh[b][c] * w_hh[c*H + j] over the 3H gate
//            rows c: each weight read once (coalesced over j) and used BB times;
//            dgh[b][c] is a shared-memory broadcast;
//   barrier  (the next phase 1 overwrites dgh)
// Both barriers are reached by every thread at every step (uniform control flow).
// Dynamic shared memory: 4 * BB * H floats (dh (BB, H) and dgh (BB, 3H)).
extern "C" __global__ void __launch_bounds__(256)
gru_backward_persistent_kernel(float* __restrict__ dgi, float* __restrict__ dgh, float* __restrict__ dh0,
                               const float* __restrict__ dout, const float* __restrict__ gates,
                               const float* __restrict__ out, const float* __restrict__ h0,
                               const float* __restrict__ w_hh, int B, int T, int H) {
    extern __shared__ float sh[];
    float* dh = sh;               // (BB, H): the running d loss / d h of this block's rows
    float* dg = sh + BB * H;      // (BB, 3H): this step's dgh
    const int b0 = blockIdx.x * BB;
    const int G = 3 * H;
    for (int i = threadIdx.x; i < BB * H; i += blockDim.x) dh[i] = 0.0f;
    __syncthreads();              // (thread j reads dh[b][j], which another thread zeroed)
    for (int t = T - 1; t >= 0; t--) {
        for (int j = threadIdx.x; j < H; j += blockDim.x) {
            for (int b = 0; b < BB; b++) {
                float dar = 0.0f, daz = 0.0f, dan = 0.0f, r = 0.0f;
                if (b0 + b < B) {
                    long long row = (long long)(b0 + b) * T + t;
                    float d = dh[b * H + j] + dout[row * H + j];
                    const float* s = gates + row * 4 * H;
                    float z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j];
                    r = s[j];
                    float h = t ? out[(row - 1) * H + j] : h0[(long long)(b0 + b) * H + j];
                    dan = d * (1.0f - z) * (1.0f - n * n);
                    daz = d * (h - n) * z * (1.0f - z);
                    dar = dan * hn * r * (1.0f - r);
                    float* di = dgi + row * G;
                    float* dgr = dgh + row * G;
                    di[j] = dar;
                    di[H + j] = daz;
                    di[2 * H + j] = dan;
                    dgr[j] = dar;
                    dgr[H + j] = daz;
                    dgr[2 * H + j] = dan * r;
                    dh[b * H + j] = d * z;
                }
                dg[b * G + j] = dar;
                dg[b * G + H + j] = daz;
                dg[b * G + 2 * H + j] = dan * r;
            }
        }
        __syncthreads();          // every unit's dgh is in shared memory
        for (int j = threadIdx.x; j < H; j += blockDim.x) {
            float acc[BB];
            for (int b = 0; b < BB; b++) acc[b] = 0.0f;
            for (int c = 0; c < G; c++) {
                float w = w_hh[(long long)c * H + j];
                for (int b = 0; b < BB; b++) acc[b] += dg[b * G + c] * w;
            }
            for (int b = 0; b < BB; b++) dh[b * H + j] += acc[b];
        }
        __syncthreads();          // dgh has been read before the next step overwrites it
    }
    for (int i = threadIdx.x; i < BB * H; i += blockDim.x) {
        int b = b0 + i / H;
        if (b < B) dh0[(long long)b * H + i % H] = dh[i];
    }
}
