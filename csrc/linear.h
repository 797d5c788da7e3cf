#ifndef PYSTORY_LINEAR_H
#define PYSTORY_LINEAR_H
// Chapter 06 (and 04): the linear layer out = x @ w.T + b. x: (N, C), w: (OC, C).
// b may be NULL (no bias). Outputs first; every buffer belongs to the caller.
void linear_forward(float* out, const float* x, const float* w, const float* b,
                    int N, int C, int OC);
void linear_backward(float* dx, float* dw, float* db, const float* dout,
                     const float* x, const float* w, int N, int C, int OC);
// The engine underneath: C[M, Nc] += A[M, K] @ B[K, Nc], with A(i, k) at
// A[i*sam + k*sak] and B(k, j) at B[k*sbk + j*sbn] (so transposes are strides).
void matmul_accumulate(float* c, const float* a, long sam, long sak,
                       const float* b, long sbk, long sbn, int M, int Nc, int K);
// The same in two halves, for a B used many times (a recurrent weight, chapter 04):
// pack B once into matmul_packed_size(Nc, K) floats, then accumulate products
// with it on the calling thread (the caller splits the rows among its threads).
long matmul_packed_size(int Nc, int K);
void matmul_pack_b(float* bpack, const float* b, long sbk, long sbn, int Nc, int K);
void matmul_accumulate_packed(float* c, const float* a, long sam, long sak, const float* bpack,
                              int M, int Nc, int K);
#endif
