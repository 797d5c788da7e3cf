#ifndef PYSTORY_GUMBEL_H
#define PYSTORY_GUMBEL_H
#include <stdint.h>  // uint64_t (cffi drops this line; it knows the type)
// Chapter 05: the Gumbel-softmax. logits, y, out: (N, V) row-major.
// y = softmax((logits + g) / tau) with g the Gumbel noise of Philox words offset .. offset + N*V - 1.
// out: NULL for the soft version, else it receives one-hot(argmax y) (straight-through "hard").
void gumbel_softmax_forward(float* out, float* y, const float* logits, float tau,
                            uint64_t seed, uint64_t offset, int N, int V);
void gumbel_softmax_backward(float* dlogits, const float* dy, const float* y, float tau, int N, int V);
#endif
