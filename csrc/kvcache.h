#ifndef PYSTORY_KVCACHE_H
#define PYSTORY_KVCACHE_H
#include <stdint.h>

void attention_decode(float* out, const float* q, const float* k_cache, const float* v_cache,
                      int B, int T_max, int C, int NH, int t);

// One transformer block for one new position t of B sequences (GPT.decode_step's loop body).
// x, out: (B, C); k_cache, v_cache: (B, T_max, C), row t written; weights as in pystory/gpt.py.
// scratch: block_decode_scratch_size(B, C) floats owned by the caller, overwritten.
long block_decode_scratch_size(int B, int C);
void block_decode(float* out, float* k_cache, float* v_cache, float* scratch, const float* x,
                  const float* ln1w, const float* ln1b, const float* qkvw, const float* qkvb,
                  const float* attprojw, const float* attprojb, const float* ln2w, const float* ln2b,
                  const float* fcw, const float* fcb, const float* fcprojw, const float* fcprojb,
                  int B, int T_max, int C, int NH, int t);

// The same block with int8 weights (chapter 07): each matrix as int8 weights (OC, C) and per-row
// scales (OC,), the products by linear_forward_int8; scratch as for block_decode.
void block_decode_int8(float* out, float* k_cache, float* v_cache, float* scratch, const float* x,
                       const float* ln1w, const float* ln1b,
                       const int8_t* qkvwq, const float* qkvwscale, const float* qkvb,
                       const int8_t* attprojwq, const float* attprojwscale, const float* attprojb,
                       const float* ln2w, const float* ln2b,
                       const int8_t* fcwq, const float* fcwscale, const float* fcb,
                       const int8_t* fcprojwq, const float* fcprojwscale, const float* fcprojb,
                       int B, int T_max, int C, int NH, int t);

#endif
