#ifndef PYSTORY_KVCACHE_H
#define PYSTORY_KVCACHE_H

void attention_decode(float* out, const float* q, const float* k_cache, const float* v_cache,
                      int B, int T_max, int C, int NH, int t);

#endif
