#ifndef PYSTORY_BCE_H
#define PYSTORY_BCE_H
// Chapter 05: binary cross-entropy on logits, one loss per element. logits, targets: (N,).
void bce_with_logits_forward(float* loss, const float* logits, const float* targets, int N);
void bce_with_logits_backward(float* dlogits, const float* dloss, const float* logits,
                              const float* targets, int N);
#endif
