// Exercise 07.3 — the int8 linear layer with __dp4a, one warp per output.
//
// xq: (N, C) int8, the rows of x already quantized, with scales sx: (N,)
// wq: (OC, C) int8 weights with scales scale: (OC,); bias: (OC,) (read only if has_bias)
// out[n, o] = (float)acc * (sx[n] * scale[o]) + bias[o],  acc = sum_c xq[n, c] * wq[o, c] (int32)
//
// Launch: grid (ceil(OC / 4), N), block 128 = 4 warps. Warp w of block (bx, n) owns output
// o = bx * 4 + w of row n (a warp whose o >= OC does nothing). Lane l takes the 32-bit words
// l, l + 32, l + 64, ... of the two rows: word k holds bytes 4k..4k+3 (byte 4k in the low
// 8 bits; bytes past C count as 0). __dp4a(a, b, acc) adds the four byte products of
// words a and b to acc. When aligned != 0 (C % 4 == 0), a whole word may be read at once
// through an int pointer; otherwise build it from bytes. Then sum the 32 lanes' acc with
// __shfl_down_sync and let lane 0 write out[n * OC + o].
// Runs on the CPU through the emulator: make grade CH=07

extern "C" __global__ void __launch_bounds__(128)
linear_int8_dp4a_kernel(float* __restrict__ out, const signed char* __restrict__ xq,
                        const float* __restrict__ sx, const signed char* __restrict__ wq,
                        const float* __restrict__ scale, const float* __restrict__ bias, int has_bias,
                        int N, int C, int OC, int aligned) {
    // TODO: your kernel here.
}
