// Chapter 06: attention of one new token over a KV cache (incremental decoding).
//
// q: (B, C), k_cache, v_cache: (B, T_max, C), positions 0 .. t-1 filled.
// out: (B, C). Head h uses channels [h*hs, (h+1)*hs) of q, k, v and out.
//
// One pass over the cache with the online softmax of chapter 03: we keep
// the running max m, the running sum l of exp(s_j - m), and the running
// weighted sum of values directly in `out`; when a larger score arrives,
// what was summed so far is rescaled by exp(m_old - m_new). No scratch
// buffer, and every key and value is read exactly once.
//
// Below it, block_decode: a whole transformer block for the new token, built
// from the C ops of this chapter (see its comment), and block_decode_int8, the
// same block with chapter 07's int8 products (csrc/int8.c).
#include <math.h>
#include <string.h>

#include "gelu.h"
#include "int8.h"
#include "kvcache.h"
#include "layernorm.h"
#include "linear.h"
#include "residual.h"

void attention_decode(float* restrict out, const float* restrict q, const float* restrict k_cache,
                      const float* restrict v_cache, int B, int T_max, int C, int NH, int t) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    // (b, h) pairs are independent: one per OpenMP iteration. For generation
    // B = 1, so a few heads: threads pay off only for long caches, hence if().
    #pragma omp parallel for collapse(2) if ((long)B * NH * t * hs > 65536)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float* qh = q + (long)b * C + h * hs;
            float* oh = out + (long)b * C + h * hs;
            const float* kb = k_cache + (long)b * T_max * C + h * hs;
            const float* vb = v_cache + (long)b * T_max * C + h * hs;
            for (int i = 0; i < hs; i++) oh[i] = 0.0f;
            float m = -INFINITY, l = 0.0f;
            for (int j = 0; j < t; j++) {
                const float* kj = kb + (long)j * C;
                const float* vj = vb + (long)j * C;
                float s = 0.0f;
                for (int i = 0; i < hs; i++) s += qh[i] * kj[i];
                s *= scale;
                if (s > m) {                          // a new max: rescale the past
                    float corr = expf(m - s);         // exp(-inf) = 0 on the first key
                    l *= corr;
                    for (int i = 0; i < hs; i++) oh[i] *= corr;
                    m = s;
                }
                float p = expf(s - m);
                l += p;
                for (int i = 0; i < hs; i++) oh[i] += p * vj[i];
            }
            float inv = 1.0f / l;                     // l >= 1: the max term is exp(0)
            for (int i = 0; i < hs; i++) oh[i] *= inv;
        }
    }
}

// --- one whole block for one new position ------------------------------------------------
//
// block_decode is GPT.decode_step's loop body as plain C calls, so a token costs
// one call from Python per layer instead of eleven (llama2.c's run.c does the
// same in one file). Every intermediate lives in `scratch`, which the caller
// allocates once per call: no malloc here, no hidden static buffers. The ops it
// calls take `restrict` pointers, so every step writes a buffer of its own:
//
//   h     (B, C)    layernorm output (ln1, then reused for ln2)
//   mean  (B,)      layernorm statistics (the forward wants somewhere to put them)
//   rstd  (B,)
//   qkv   (B, 3C)   q | k | v of the new position
//   q     (B, C)    q copied out: attention_decode reads q as a contiguous (B, C)
//   atty  (B, C)    attention output
//   proj  (B, C)    attprojw's output, then fcprojw's
//   x2    (B, C)    the residual stream between the two halves of the block
//   fch   (B, 4C)   MLP hidden layer, before GELU
//   fcg   (B, 4C)   ... and after
long block_decode_scratch_size(int B, int C) {
    return (long)B * (16L * C + 2);
}

// The buffers above, carved out of one scratch array in that order (both blocks use them).
typedef struct {
    float *h, *mean, *rstd, *qkv, *q, *atty, *proj, *x2, *fch, *fcg;
} BlockScratch;

static BlockScratch block_scratch(float* scratch, int B, int C) {
    long BC = (long)B * C;
    BlockScratch s;
    s.h = scratch;
    s.mean = s.h + BC;
    s.rstd = s.mean + B;
    s.qkv = s.rstd + B;
    s.q = s.qkv + 3 * BC;
    s.atty = s.q + BC;
    s.proj = s.atty + BC;
    s.x2 = s.proj + BC;
    s.fch = s.x2 + BC;
    s.fcg = s.fch + 4 * BC;
    return s;
}

// qkv (B, 3C) = q | k | v of the new position: q to its own (B, C) buffer, k and v
// to row t of each sequence's cache.
static void cache_new_position(float* restrict q, float* restrict k_cache, float* restrict v_cache,
                               const float* restrict qkv, int B, int T_max, int C, int t) {
    for (int b = 0; b < B; b++) {
        const float* row = qkv + (long)b * 3 * C;                   // q | k | v
        long at = ((long)b * T_max + t) * C;                        // row t of sequence b's cache
        memcpy(q + (long)b * C, row, sizeof(float) * C);
        memcpy(k_cache + at, row + C, sizeof(float) * C);
        memcpy(v_cache + at, row + 2 * C, sizeof(float) * C);
    }
}

void block_decode(float* restrict out, float* restrict k_cache, float* restrict v_cache,
                  float* restrict scratch, const float* restrict x,
                  const float* ln1w, const float* ln1b, const float* qkvw, const float* qkvb,
                  const float* attprojw, const float* attprojb, const float* ln2w, const float* ln2b,
                  const float* fcw, const float* fcb, const float* fcprojw, const float* fcprojb,
                  int B, int T_max, int C, int NH, int t) {
    long BC = (long)B * C;
    BlockScratch sc = block_scratch(scratch, B, C);
    float *h = sc.h, *mean = sc.mean, *rstd = sc.rstd, *qkv = sc.qkv, *q = sc.q, *atty = sc.atty,
          *proj = sc.proj, *x2 = sc.x2, *fch = sc.fch, *fcg = sc.fcg;

    // attention half: x2 = x + attproj(attention(ln1(x)))
    layernorm_forward(h, mean, rstd, x, ln1w, ln1b, 1e-5f, B, C);
    linear_forward(qkv, h, qkvw, qkvb, B, C, 3 * C);
    cache_new_position(q, k_cache, v_cache, qkv, B, T_max, C, t);
    attention_decode(atty, q, k_cache, v_cache, B, T_max, C, NH, t + 1);   // positions 0 .. t
    linear_forward(proj, atty, attprojw, attprojb, B, C, C);
    residual_forward(x2, x, proj, (int)BC);

    // MLP half: out = x2 + fcproj(gelu(fc(ln2(x2))))
    layernorm_forward(h, mean, rstd, x2, ln2w, ln2b, 1e-5f, B, C);
    linear_forward(fch, h, fcw, fcb, B, C, 4 * C);
    gelu_forward(fcg, fch, (int)(4 * BC));
    linear_forward(proj, fcg, fcprojw, fcprojb, B, 4 * C, C);
    residual_forward(out, x2, proj, (int)BC);
}

// block_decode_int8: the same block, line for line, with the four products in int8
// (linear_forward_int8: x quantized row by row, int32 sums, one scale per row of x and
// of w). This is QuantizedGPT.decode_step's loop body in one call. Its intermediates
// are block_decode's, in the same caller-owned scratch (block_decode_scratch_size);
// linear_forward_int8 quantizes its input into N * (C + 4) bytes of its own, as it
// does when Python calls it.
void block_decode_int8(float* restrict out, float* restrict k_cache, float* restrict v_cache,
                       float* restrict scratch, const float* restrict x,
                       const float* ln1w, const float* ln1b,
                       const int8_t* qkvwq, const float* qkvwscale, const float* qkvb,
                       const int8_t* attprojwq, const float* attprojwscale, const float* attprojb,
                       const float* ln2w, const float* ln2b,
                       const int8_t* fcwq, const float* fcwscale, const float* fcb,
                       const int8_t* fcprojwq, const float* fcprojwscale, const float* fcprojb,
                       int B, int T_max, int C, int NH, int t) {
    long BC = (long)B * C;
    BlockScratch sc = block_scratch(scratch, B, C);
    float *h = sc.h, *mean = sc.mean, *rstd = sc.rstd, *qkv = sc.qkv, *q = sc.q, *atty = sc.atty,
          *proj = sc.proj, *x2 = sc.x2, *fch = sc.fch, *fcg = sc.fcg;

    // attention half: x2 = x + attproj(attention(ln1(x)))
    layernorm_forward(h, mean, rstd, x, ln1w, ln1b, 1e-5f, B, C);
    linear_forward_int8(qkv, h, qkvwq, qkvwscale, qkvb, B, C, 3 * C);
    cache_new_position(q, k_cache, v_cache, qkv, B, T_max, C, t);
    attention_decode(atty, q, k_cache, v_cache, B, T_max, C, NH, t + 1);   // positions 0 .. t
    linear_forward_int8(proj, atty, attprojwq, attprojwscale, attprojb, B, C, C);
    residual_forward(x2, x, proj, (int)BC);

    // MLP half: out = x2 + fcproj(gelu(fc(ln2(x2))))
    layernorm_forward(h, mean, rstd, x2, ln2w, ln2b, 1e-5f, B, C);
    linear_forward_int8(fch, h, fcwq, fcwscale, fcb, B, C, 4 * C);
    gelu_forward(fcg, fch, (int)(4 * BC));
    linear_forward_int8(proj, fcg, fcprojwq, fcprojwscale, fcprojb, B, 4 * C, C);
    residual_forward(out, x2, proj, (int)BC);
}
