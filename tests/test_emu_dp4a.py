"""The emulator's __dp4a: four packed 8-bit products plus an accumulator, as on sm_61+."""
import numpy as np

from pystory import emu

SOURCE = r'''
extern "C" __global__ void dp4a_signed(int* out, const int* a, const int* b, const int* c, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = __dp4a(a[i], b[i], c[i]);
}
extern "C" __global__ void dp4a_unsigned(unsigned* out, const unsigned* a, const unsigned* b,
                                         const unsigned* c, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = __dp4a(a[i], b[i], c[i]);
}
'''


def reference(a, b, c, signed):
    lanes = np.int8 if signed else np.uint8
    pa = a.view(lanes).reshape(-1, 4).astype(np.int64)     # little-endian: lane 0 is the low byte
    pb = b.view(lanes).reshape(-1, 4).astype(np.int64)
    total = (pa * pb).sum(axis=1) + c.astype(np.int64)
    return (total % 2**32).astype(np.uint64).astype(np.uint32).view(c.dtype)   # wraps like 32-bit adds


def test_dp4a_matches_four_byte_products_plus_c_signed_and_unsigned():
    mod = emu.RawModule(code=SOURCE)
    rng = np.random.default_rng(0)
    n = 300
    for name, dt, signed in (("dp4a_signed", np.int32, True), ("dp4a_unsigned", np.uint32, False)):
        a, b, c = (rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(dt) for _ in range(3))
        a[:4] = np.array([0x7F7F7F7F, 0x80808080, -1 if signed else 0xFFFFFFFF, 0], np.int64).astype(dt)
        b[:4] = a[:4]
        c[0] = np.array(2**31 - 1).astype(dt)                 # overflow wraps
        out = np.zeros(n, dt)
        mod.get_function(name)(((n + 127) // 128,), (128,), (out, a, b, c, np.int32(n)))
        np.testing.assert_array_equal(out, reference(a, b, c, signed))
