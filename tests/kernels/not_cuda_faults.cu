// Kernels that do what no CUDA kernel may: end the program or throw. NVRTC
// refuses them; the emulator must still turn each into an error for the one
// thread, never a dead Python (test kernels; not compiled by nvcc). The tests
// assert the line each report names.
#include <stdlib.h>

extern "C" __global__ void calls_exit(int* out) {
    if (threadIdx.x == 2) exit(3);  // BUG line 8
    out[threadIdx.x] = 1;
}

extern "C" __global__ void calls_abort(int* out) {
    if (threadIdx.x == 2) abort();  // BUG line 13
    out[threadIdx.x] = 1;
}

extern "C" __global__ void calls_std_exit(int* out) {
    if (threadIdx.x == 2) std::exit(0);  // BUG line 18
    out[threadIdx.x] = 1;
}

extern "C" __global__ void throws(int* out) {
    if (threadIdx.x == 1) throw 42;  // BUG line 23 (not CUDA at all, but it must not kill Python)
    out[threadIdx.x] = 1;
}
