#ifndef PYSTORY_CONV1D_H
#define PYSTORY_CONV1D_H
// Chapter 05: 1-D convolution over time (valid, stride 1) and max-over-time pooling.
// x: (B, T, Cin) channels-last, w: (Cout, Cin, K) as torch.nn.Conv1d, out: (B, T-K+1, Cout).
// Version 1, the five loops (csrc/conv1d_naive.c); version 2, one matmul over the windows (csrc/conv1d.c).
void conv1d_forward_naive(float* out, const float* x, const float* w, const float* b,
                          int B, int T, int Cin, int Cout, int K);
void conv1d_forward(float* out, const float* x, const float* w, const float* b,
                    int B, int T, int Cin, int Cout, int K);
void conv1d_backward(float* dx, float* dw, float* db, const float* dout, const float* x,
                     const float* w, int B, int T, int Cin, int Cout, int K);
// x: (B, T, C) -> out: (B, C) max over t, argmax: (B, C) the first t that reaches it.
void maxpool_time_forward(float* out, int* argmax, const float* x, int B, int T, int C);
void maxpool_time_backward(float* dx, const float* dout, const int* argmax, int B, int T, int C);
#endif
