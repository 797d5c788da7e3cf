// Exercise 00.3 — one warp per row, reduced with warp shuffles.
//
// Launch: blockDim.x = 32 * W threads (W warps), grid = ceil(R / W) blocks.
// Warp w of block b handles row r = b * W + w (skip rows >= R).
// Lane l (0..31) sums x[r, l], x[r, l + 32], x[r, l + 64], ... then the 32
// partial sums are combined with __shfl_down_sync(0xffffffff, v, offset) for
// offset = 16, 8, 4, 2, 1; lane 0 writes out[r].
// Runs on the CPU through the emulator: make grade CH=00
extern "C" __global__ void rowsum_warp_kernel(float* out, const float* x, int R, int C) {
    // TODO: your kernel here.
}
