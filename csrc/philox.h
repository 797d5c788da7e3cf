#ifndef PYSTORY_PHILOX_H
#define PYSTORY_PHILOX_H
#include <stdint.h>  // uint32_t, uint64_t (cffi drops this line; it knows the types)
// Chapter 02: Philox-4x32-10, the counter-based generator (see csrc/philox.c).
// The stream: key = (seed mod 2^32, seed >> 32); word i is lane i % 4 of the
// block with counter (i / 4 mod 2^32, i / 4 >> 32, 0, 0). `offset` counts words.
void philox4x32_10(uint32_t* out, const uint32_t* ctr, const uint32_t* key, int n);
void philox_uniform(float* out, uint64_t seed, uint64_t offset, int n);
void philox_normal(float* out, uint64_t seed, uint64_t offset, int n);
void philox_randint(int* out, uint64_t seed, uint64_t offset, int n, int low, int high);
#endif
