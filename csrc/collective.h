#ifndef PYSTORY_COLLECTIVE_H
#define PYSTORY_COLLECTIVE_H
// Chapter 08: the arithmetic inside the collectives (the library moves the bytes).
void sum_ranks(float* out, const float* x, float scale, int N, int S);
void accumulate(float* acc, const float* g, int P);
#endif
