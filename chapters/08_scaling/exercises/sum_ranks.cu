// Exercise 08.3 — sum_ranks as a CUDA kernel, one thread per element.
//
// x is (N, S) row-major: row r holds rank r's copy of one shard of S floats.
// Launch: grid = ceil(S / blockDim.x) blocks; thread i = blockIdx.x * blockDim.x + threadIdx.x
// computes
//   out[i] = scale * (x[0][i] + x[1][i] + ... + x[N-1][i])
// adding the ranks in order r = 0, 1, ..., N-1 (starting from x[0][i]) and
// multiplying by scale once; threads past S do nothing. The grader checks the bits.
// Runs on the CPU through the emulator: make grade CH=08

extern "C" __global__ void __launch_bounds__(1024)
sum_ranks_kernel(float* out, const float* x, float scale, int N, int S) {
    // TODO: your kernel here.
}
