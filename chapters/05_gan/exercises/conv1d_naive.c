// Exercise 05.2 — conv1d forward in C, straight from the definition.
//
// x: (B, T, Cin) row-major, channels last; w: (Cout, Cin, K) as PyTorch stores
// it; b: (Cout,). Write out: (B, Tout, Cout) with Tout = T - K + 1 (the caller
// guarantees T >= K):
//   out[b, t, o] = b[o] + sum over k < K and c < Cin of x[b, t + k, c] * w[o, c, k]
// Work out each index by hand first: where do x[b, t + k, c] and w[o, c, k]
// sit in their flat arrays? Use long for the offsets (B*T*Cin may be large).
// Bonus: an OpenMP pragma over the (b, t) loops.
// Check your work: make grade CH=05
void conv1d_forward_naive(float* out, const float* x, const float* w, const float* b,
                          int B, int T, int Cin, int Cout, int K) {
    // TODO: your loops here.
    (void)out; (void)x; (void)w; (void)b; (void)B; (void)T; (void)Cin; (void)Cout; (void)K;
}
