#ifndef PYSTORY_GRU_H
#define PYSTORY_GRU_H
// Chapter 04: the GRU, forward and backprop through time (see csrc/gru.c).
// x: (B, T, I), h0: (B, H), w_ih: (3H, I), w_hh: (3H, H), b_ih, b_hh: (3H,);
// out: (B, T, H), gates: (B, T, 4H) = r, z, n, hn of every step. All row-major.
// Outputs first, then scratch the caller allocates (gi, gh: the input and
// recurrent projections; packed: gru_packed_size(H) floats for the packed
// recurrent weights; dgi, dgh: (B, T, 3H); hprev: (B, T, H)), then the inputs.
long gru_packed_size(int H);
void gru_forward(float* out, float* gates, float* gi, float* gh, float* packed,
                 const float* x, const float* h0, const float* w_ih, const float* w_hh,
                 const float* b_ih, const float* b_hh, int B, int T, int I, int H);
void gru_backward(float* dx, float* dh0, float* dw_ih, float* dw_hh, float* db_ih, float* db_hh,
                  float* dgi, float* dgh, float* hprev, float* packed,
                  const float* dout, const float* x, const float* h0, const float* w_ih,
                  const float* w_hh, const float* out, const float* gates, int B, int T, int I, int H);
#endif
