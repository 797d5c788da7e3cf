#ifndef PYSTORY_ATTENTION_H
#define PYSTORY_ATTENTION_H
// Chapter 03: softmax and causal multi-head attention. Outputs come first.
// qkv: (B, T, 3C) packed as in GPT-2; out: (B, T, C); NH heads of hs = C / NH.
void softmax_forward(float* y, const float* x, int R, int N);
void softmax_backward(float* dx, const float* dy, const float* y, int R, int N);
void attention_forward_naive(float* out, float* att, const float* qkv, int B, int T, int C, int NH);
void attention_backward_naive(float* dqkv, float* datt, const float* dout, const float* qkv,
                              const float* att, int B, int T, int C, int NH);
void attention_forward_flash(float* out, float* lse, const float* qkv, int B, int T, int C, int NH);
void attention_backward_flash(float* dqkv, const float* dout, const float* qkv, const float* out,
                              const float* lse, int B, int T, int C, int NH);
#endif
