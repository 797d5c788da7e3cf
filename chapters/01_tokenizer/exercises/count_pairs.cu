// Exercise 01.3 — the pair-count histogram as a CUDA kernel.
//
// One thread per token i = blockIdx.x * blockDim.x + threadIdx.x (0 <= i < n).
// Thread i owns the pair (ids[i], ids[i+1]) when i + 1 < n and both tokens
// are in the same word (word_of[i] == word_of[i+1]); it adds that word's
// count, counts[word_of[i]], to hist[ids[i] * V + ids[i+1]].
// Many threads hit the same bin at once: a plain += loses updates. Use atomicAdd.
// hist (V * V ints) is zeroed by the caller.
// Runs on the CPU through the emulator: make grade CH=01
extern "C" __global__ void bpe_count_pairs_kernel(int* hist, const int* ids, const int* word_of,
                                                  const int* counts, int n, int V) {
    // TODO: your kernel here.
}
