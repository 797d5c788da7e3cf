#ifndef PYSTORY_GRU_CELL_H
#define PYSTORY_GRU_CELL_H
// Chapter 04: one step of the GRU cell as plain loops (see csrc/gru_cell.c).
// x (B, I), h (B, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) -> h_new (B, H).
void gru_cell_forward(float* h_new, const float* x, const float* h, const float* w_ih, const float* w_hh,
                      const float* b_ih, const float* b_hh, int B, int I, int H);
#endif
