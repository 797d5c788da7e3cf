#ifndef PYSTORY_OPTIM_H
#define PYSTORY_OPTIM_H
#include <stdint.h>  // uint8_t (cffi drops this line; it knows the type)
// Chapter 06 (and 04): AdamW over one flat buffer of n parameters, and the
// global gradient norm for clipping. decay_mask may be NULL (decay everywhere).
void adamw_update(float* params, const float* grads, float* m, float* v, int n,
                  int step, float lr, float beta1, float beta2, float eps,
                  float weight_decay, const uint8_t* decay_mask);
double grad_norm(const float* grads, int n);
void scale_inplace(float* x, float s, int n);
#endif
