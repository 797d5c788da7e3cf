// Exercise 06.2 — softmax + cross-entropy + its gradient in one pass, in C.
//
// logits: (N, V) row-major, targets: (N,) ints. For each row n:
//   m         = max_j logits[n, j]
//   lse       = m + log(sum_j exp(logits[n, j] - m))       (log-sum-exp, stable)
//   losses[n] = lse - logits[n, targets[n]]
//   dlogits[n, j] = (exp(logits[n, j] - lse) - (j == targets[n])) / N
// dlogits is the gradient of the MEAN loss over the N rows. Return 0; if any
// target is outside [0, V), return -1 before writing anything.
// Bonus: an OpenMP loop over rows.
// Check your work: make grade CH=06
#include <math.h>

int crossentropy_fused(float* losses, float* dlogits, const float* logits, const int* targets, int N, int V) {
    // TODO: your loops here.
    (void)losses; (void)dlogits; (void)logits; (void)targets; (void)N; (void)V;
    return 0;
}
