// Chapter 06 (and 04): the AdamW optimizer and gradient clipping in C.
//
// params, grads, m, v are each ONE contiguous buffer of all n parameters
// (as in llm.c), so the whole update is one loop, split across threads.
#include <math.h>
#include "optim.h"

// Updates params, m, v in place (the optimizer owns its state); see
// pystory/optim.py for the formula. step is 1-based.
void adamw_update(float* restrict params, const float* restrict grads,
                  float* restrict m, float* restrict v, int n, int step, float lr,
                  float beta1, float beta2, float eps, float weight_decay,
                  const uint8_t* restrict decay_mask) {
    // Bias corrections are the same for every parameter: compute them once.
    float bc1 = 1.0f - powf(beta1, (float)step);
    float bc2 = 1.0f - powf(beta2, (float)step);
    #pragma omp parallel for simd if (n > (1 << 16))
    for (int i = 0; i < n; i++) {
        float g = grads[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float m_hat = mi / bc1;
        float v_hat = vi / bc2;
        float wd = (decay_mask == 0 || decay_mask[i]) ? weight_decay : 0.0f;
        params[i] -= lr * (m_hat / (sqrtf(v_hat) + eps) + wd * params[i]);
    }
}

// sqrt(sum g^2), accumulated in double: a float sum of millions of squares
// loses the small ones. The reduction is deterministic for a fixed thread count.
double grad_norm(const float* restrict grads, int n) {
    double sum = 0.0;
    #pragma omp parallel for reduction(+ : sum) schedule(static) if (n > (1 << 16))
    for (int i = 0; i < n; i++) {
        sum += (double)grads[i] * grads[i];
    }
    return sqrt(sum);
}

void scale_inplace(float* restrict x, float s, int n) {
    #pragma omp parallel for simd if (n > (1 << 16))
    for (int i = 0; i < n; i++) x[i] *= s;
}
