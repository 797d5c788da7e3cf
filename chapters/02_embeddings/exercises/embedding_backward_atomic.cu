// Exercise 02.3 — the embedding backward as an atomic scatter-add kernel.
//
// dtable (V, C) starts at zero. For every token i < N and channel c < C:
//   dtable[ids[i], c] += dout[i, c]
// Launch: one thread per element of dout, 256 threads per block,
// grid = ceil(N * C / 256) blocks; thread e = blockIdx.x * blockDim.x + threadIdx.x
// handles i = e / C, c = e % C (skip e >= N * C). Two tokens with the same id
// add into the same float at the same time: use atomicAdd.
// Runs on the CPU through the emulator: make grade CH=02
extern "C" __global__ void embedding_backward_atomic_kernel(float* dtable, const int* ids,
                                                            const float* dout, int N, int C) {
    // TODO: your kernel here.
}
