// Chapter 06 (and 04): GELU (tanh approximation) in C, elementwise.
//   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//
// tanh is tanh_fast (csrc/inc/fastmath.h): libm's tanhf is a function call per
// element that no loop can vectorize, and was 18% of a GPT training step.
#include "gelu.h"
#include "inc/fastmath.h"

#define GELU_SCALE 0.7978845608028654f   // sqrt(2 / pi)
#define GELU_CUBE 0.044715f

void gelu_forward(float* restrict out, const float* restrict x, int n) {
    #pragma omp parallel for if (n > (1 << 16))
    for (int i = 0; i < n; i++) {
        float xi = x[i];
        float u = GELU_SCALE * (xi + GELU_CUBE * xi * xi * xi);
        out[i] = 0.5f * xi * (1.0f + tanh_fast(u));
    }
}

// dx = dout * gelu'(x): product rule on 0.5 x (1 + tanh(u)), with
// tanh' = 1 - tanh^2 and du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
void gelu_backward(float* restrict dx, const float* restrict dout,
                   const float* restrict x, int n) {
    #pragma omp parallel for if (n > (1 << 16))
    for (int i = 0; i < n; i++) {
        float xi = x[i];
        float t = tanh_fast(GELU_SCALE * (xi + GELU_CUBE * xi * xi * xi));
        float du = GELU_SCALE * (1.0f + 3.0f * GELU_CUBE * xi * xi);
        dx[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du);
    }
}
