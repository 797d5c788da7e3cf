// Chapter 00: axpy and rowsum in C — the pattern every later C port follows.
//
// Memory layout: arrays are contiguous and row-major, exactly as NumPy
// holds them, so the binding passes the NumPy buffer itself (no copy).
// The caller owns every buffer; these functions allocate nothing.
#include "basics.h"

// out[i] = a * x[i] + y[i]. `restrict` promises the compiler that the three
// arrays do not overlap, so it may vectorize freely. OpenMP splits the loop
// across cores only when there is enough work to pay for waking threads.
void axpy(float* restrict out, float a, const float* restrict x,
          const float* restrict y, int n) {
    #pragma omp parallel for simd if (n > (1 << 16))
    for (int i = 0; i < n; i++) {
        out[i] = a * x[i] + y[i];
    }
}

// out[r] = sum over c of x[r, c], x: (R, C) row-major.
// One row per loop iteration: a row is contiguous, so the inner loop streams
// through memory; rows are independent, so OpenMP splits them across cores.
void rowsum(float* restrict out, const float* restrict x, int R, int C) {
    #pragma omp parallel for if ((long)R * C > (1 << 16))
    for (int r = 0; r < R; r++) {
        const float* row = x + (long)r * C;
        float sum = 0.0f;
        #pragma omp simd reduction(+ : sum)
        for (int c = 0; c < C; c++) {
            sum += row[c];
        }
        out[r] = sum;
    }
}
