#ifndef PYSTORY_EMBEDDING_H
#define PYSTORY_EMBEDDING_H
// Chapter 02: embedding lookup, its scatter-add backward, positions, and the
// GPT input op. Outputs first; N = number of ids; every id is in [0, V)
// (the binding checks, C trusts it).
void embedding_forward(float* out, const int* ids, const float* table, int N, int V, int C);
void embedding_backward(float* dtable, const int* ids, const float* dout, int V, int N, int C);
void sinusoidal_positions(float* out, int T, int C);
void encoder_forward(float* out, const int* ids, const float* wte, const float* wpe, int B, int T, int C);
void encoder_backward(float* dwte, float* dwpe, const int* ids, const float* dout, int V, int max_t,
                      int B, int T, int C);
#endif
