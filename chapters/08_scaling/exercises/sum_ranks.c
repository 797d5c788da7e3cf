// Exercise 08.2 — sum_ranks in C: the arithmetic of a reduce-scatter.
//
// x is (N, S) row-major: row r holds rank r's copy of one shard of S floats.
//   out[i] = scale * (x[0][i] + x[1][i] + ... + x[N-1][i])
// adding the ranks IN ORDER r = 0, 1, ..., N-1 (start from x[0][i], not from 0),
// then multiplying by scale once. The grader checks the bits, not a tolerance:
// another order gives another rounding.
// Bonus: split the loop over i across cores with OpenMP (it does not change the bits).
// Check your work: make grade CH=08

void sum_ranks(float* out, const float* x, float scale, int N, int S) {
    // TODO: your loops here.
    (void)out; (void)x; (void)scale; (void)N; (void)S;
}
