#ifndef PYSTORY_LAYERNORM_H
#define PYSTORY_LAYERNORM_H
// Chapter 06 (and 04): layer normalization over the last axis. x: (N, C).
void layernorm_forward(float* out, float* mean, float* rstd, const float* x,
                       const float* w, const float* b, float eps, int N, int C);
void layernorm_backward(float* dx, float* dw, float* db, const float* dout,
                        const float* x, const float* w, const float* mean,
                        const float* rstd, int N, int C);
#endif
