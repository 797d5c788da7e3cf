// Chapter 04: one step of the GRU cell in C, as the plain loops of the formulas.
//
// No blocking, no threads, no packing: the spec. csrc/gru.c's gru_forward (the
// fast one, which splits the work into one big input product and a per-step
// recurrent product) must agree with it step by step (tests/test_gru.py), and
// it is the reference of chapter 04's C homework. A file of its own, so that
// it compiles alone.
#include <math.h>
#include "gru_cell.h"

static inline float sigmoidf_(float a) { return 1.0f / (1.0f + expf(-a)); }

// x (B, I), h (B, H) -> h_new (B, H); gates stacked (r, z, n) as in torch.nn.GRU.
void gru_cell_forward(float* restrict h_new, const float* restrict x, const float* restrict h,
                      const float* restrict w_ih, const float* restrict w_hh, const float* restrict b_ih,
                      const float* restrict b_hh, int B, int I, int H) {
    for (int b = 0; b < B; b++) {
        const float* xb = x + (long)b * I;
        const float* hb = h + (long)b * H;
        for (int j = 0; j < H; j++) {
            float a[3], c[3];                       // gate g = r, z, n: a = W_ig x + b_ig, c = W_hg h + b_hg
            for (int g = 0; g < 3; g++) {
                int row = g * H + j;
                a[g] = b_ih[row];
                c[g] = b_hh[row];
                for (int k = 0; k < I; k++) a[g] += w_ih[(long)row * I + k] * xb[k];
                for (int k = 0; k < H; k++) c[g] += w_hh[(long)row * H + k] * hb[k];
            }
            float r = sigmoidf_(a[0] + c[0]);
            float z = sigmoidf_(a[1] + c[1]);
            float n = tanhf(a[2] + r * c[2]);
            h_new[(long)b * H + j] = (1.0f - z) * n + z * hb[j];
        }
    }
}
