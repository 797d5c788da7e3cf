// Chapter 06: the residual connection in C: out = a + b.
// The backward is the identity (d out/d a = d out/d b = 1), so there is no
// residual_backward here: the Python op hands dout back for both inputs.
#include "residual.h"

void residual_forward(float* restrict out, const float* restrict a,
                      const float* restrict b, int n) {
    #pragma omp parallel for simd if (n > (1 << 16))
    for (int i = 0; i < n; i++) {
        out[i] = a[i] + b[i];
    }
}
