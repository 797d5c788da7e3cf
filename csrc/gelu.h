#ifndef PYSTORY_GELU_H
#define PYSTORY_GELU_H
// Chapter 06 (and 04): GELU, tanh approximation (GPT-2), elementwise over n values.
void gelu_forward(float* out, const float* x, int n);
void gelu_backward(float* dx, const float* dout, const float* x, int n);
#endif
