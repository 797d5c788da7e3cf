#ifndef PYSTORY_KVCACHE_H
#define PYSTORY_KVCACHE_H

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

#endif
