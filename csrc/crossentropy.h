#ifndef PYSTORY_CROSSENTROPY_H
#define PYSTORY_CROSSENTROPY_H
// Chapter 06 (and 04): softmax + cross-entropy. logits: (N, V), targets: (N,) in [0, V).
// Each returns 0, or -1 (writing nothing) if a target is out of range.
int crossentropy_forward(float* losses, float* probs, const float* logits,
                         const int* targets, int N, int V);
int crossentropy_backward(float* dlogits, const float* dlosses, const float* probs,
                          const int* targets, int N, int V);
int crossentropy_fused(float* losses, float* dlogits, const float* logits,
                       const int* targets, int N, int V);
#endif
