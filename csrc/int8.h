#ifndef PYSTORY_INT8_H
#define PYSTORY_INT8_H
#include <stdint.h>
// Chapter 07: int8 quantization (absmax, one scale per row) and the int8 linear layer.
// x: (R, C) rows; q: (R, C) int8 in [-127, 127]; scale: (R,). Outputs first, caller-owned.
void quantize_int8(int8_t* q, float* scale, const float* x, int R, int C);
void dequantize_int8(float* out, const int8_t* q, const float* scale, int R, int C);
// out (N, OC) = dequant(quant(x) @ wq.T) + b; x: (N, C), wq: (OC, C), scale: (OC,), b (OC,) or NULL.
void linear_forward_int8(float* out, const float* x, const int8_t* wq, const float* scale,
                         const float* b, int N, int C, int OC);
// The int32 dot product of two int8 vectors of length n (the portable loop; homework 07.2).
int32_t dot_int8(const int8_t* a, const int8_t* b, int n);
// Which dot product this build uses: 0 portable C, 1 AVX2, 2 AVX-512 VNNI (256-bit), 3 AVX-VNNI.
int int8_simd_path(void);
#endif
