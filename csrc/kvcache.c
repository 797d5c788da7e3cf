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
#include <math.h>

#include "kvcache.h"

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
