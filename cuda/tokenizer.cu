// Chapter 01: byte-level BPE as CUDA kernels.
//
// The GPU has tens of thousands of threads and no use for a linked list or a
// priority queue, so each step of BPE is recast as a data-parallel pass:
//
//   pretokenize_kernel       one thread per byte: "does a word start here?"
//   bpe_count_pairs_kernel   one thread per token: a histogram of pairs (atomics)
//   bpe_argmax_kernel        a block-wide reduction: the most frequent pair
//   bpe_merge_kernel         one thread per token: apply one merge everywhere
//   bpe_encode_kernel        one thread per word: encode many words at once
//
// The launches, and the compaction between steps, are in pystory/gpu/tokenizer.py.
// Words are CSR as everywhere in this chapter; inside kernels `word_of[i]`
// (which word token i belongs to) replaces the offsets, so that a thread
// knows whether its right neighbour is in the same word.

// The byte classes of the pre-tokenizer (the same table as the reference).
#define LETTER 0
#define DIGIT 1
#define SPACE 2
#define PUNCT 3

__device__ __forceinline__ int byte_class(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 128) return LETTER;
    if (c >= '0' && c <= '9') return DIGIT;
    if (c == ' ' || (c >= 9 && c <= 13)) return SPACE;
    return PUNCT;
}

// pretokenize_kernel: is_start[i] = 1 when a word starts at byte i.
// Thread mapping: one thread per byte, i = blockIdx.x * blockDim.x + threadIdx.x.
// The rule only looks at bytes i-1, i and i+1, so threads need no
// communication; the launcher then turns the flags into offsets (a compaction).
extern "C" __global__ void __launch_bounds__(1024)
pretokenize_kernel(unsigned char* __restrict__ is_start, const unsigned char* __restrict__ data, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    if (i == 0) { is_start[0] = 1; return; }
    int prev = byte_class(data[i - 1]);
    int cur = byte_class(data[i]);
    int next = i + 1 < n ? byte_class(data[i + 1]) : -1;
    int start = (cur != prev && !(data[i - 1] == ' ' && cur == LETTER))            // class changes
             || (prev == SPACE && cur == SPACE && next != -1 && next != SPACE);   // last space of a run
    is_start[i] = (unsigned char)start;
}

// bpe_count_pairs_kernel: hist[a * V + b] += counts[word] for every adjacent pair (a, b).
// Thread mapping: one thread per token i; it owns the pair (ids[i], ids[i+1])
// when both tokens are in the same word. Many threads hit the same bin (" t"
// + "he" is everywhere), so the add is an atomicAdd: the hardware serializes
// only colliding updates.
extern "C" __global__ void __launch_bounds__(1024)
bpe_count_pairs_kernel(int* __restrict__ hist, const int* __restrict__ ids, const int* __restrict__ word_of,
                       const int* __restrict__ counts, int n, int V) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i + 1 >= n) return;
    int w = word_of[i];
    if (word_of[i + 1] != w) return;
    atomicAdd(&hist[(long long)ids[i] * V + ids[i + 1]], counts[w]);
}

// bpe_argmax_kernel: out_val[blockIdx.x], out_idx[blockIdx.x] <- the largest
// val[k] over this block's share of k in [0, n), ties to the smallest index
// (index a * V + b: the smallest pair — the tie rule of training).
// With has_idx, the candidates' indices are idx[k] (the second pass, over
// the first pass's per-block winners); else k itself.
// Thread mapping: a grid-stride loop (thread t of block b reads k = b*blockDim
// + t, then k + gridDim*blockDim, ...: coalesced), then a tree reduction in
// shared memory. blockDim.x must be a power of two (the launcher uses 256).
__device__ __forceinline__ bool beats(int v1, int i1, int v2, int i2) {
    return v1 > v2 || (v1 == v2 && i1 < i2);
}

extern "C" __global__ void __launch_bounds__(256)
bpe_argmax_kernel(int* __restrict__ out_val, int* __restrict__ out_idx, const int* __restrict__ val,
                  const int* __restrict__ idx, int has_idx, int n) {
    __shared__ int s_val[256];
    __shared__ int s_idx[256];
    int t = threadIdx.x;
    int best_v = -1, best_i = 0x7fffffff;
    for (int k = blockIdx.x * blockDim.x + t; k < n; k += gridDim.x * blockDim.x) {
        int v = val[k], i = has_idx ? idx[k] : k;
        if (beats(v, i, best_v, best_i)) { best_v = v; best_i = i; }
    }
    s_val[t] = best_v;
    s_idx[t] = best_i;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride && beats(s_val[t + stride], s_idx[t + stride], s_val[t], s_idx[t])) {
            s_val[t] = s_val[t + stride];
            s_idx[t] = s_idx[t + stride];
        }
        __syncthreads();
    }
    if (t == 0) {
        out_val[blockIdx.x] = s_val[0];
        out_idx[blockIdx.x] = s_idx[0];
    }
}

// bpe_merge_kernel: out <- ids with the pair (a, b) replaced by new_id
// (out[i] = new_id, out[i+1] = -1 marks the absorbed token for compaction).
// Thread mapping: one thread per token i: "does a merge start at i?".
// For a != b, matches never overlap and each thread decides alone. For a == b
// a run "a a a a" holds overlapping matches, and left-to-right semantics take
// the 1st, 3rd, ...: thread i merges when an EVEN number of a's precede it in
// its run — it counts them by walking left. That walk costs the run length
// per thread (fine for text, slow for a megabyte of one letter).
// Reads come from `ids`, writes go to `out`: no thread reads what another writes.
extern "C" __global__ void __launch_bounds__(1024)
bpe_merge_kernel(int* __restrict__ out, const int* __restrict__ ids, const int* __restrict__ word_of,
                 int n, int a, int b, int new_id) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i + 1 >= n) return;
    if (ids[i] != a || ids[i + 1] != b || word_of[i] != word_of[i + 1]) return;
    if (a == b) {
        int run = 0;
        for (int j = i - 1; j >= 0 && ids[j] == a && word_of[j] == word_of[i]; j--) run++;
        if (run % 2) return;  // the token before us merges with us
    }
    out[i] = new_id;
    out[i + 1] = -1;
}

// The merge ranks as an open-addressing hash table, built on the host:
// key = (a << 16) | b (ids < 65536), rank_vals[slot] = the merge's rank, -1 empty.
__device__ __forceinline__ int rank_of(const unsigned int* __restrict__ keys, const int* __restrict__ vals,
                                       unsigned int mask, int a, int b) {
    unsigned int key = ((unsigned int)a << 16) | (unsigned int)b;
    unsigned int slot = (key * 2654435761u) & mask;  // Knuth's multiplicative hash
    while (vals[slot] >= 0) {
        if (keys[slot] == key) return vals[slot];
        slot = (slot + 1) & mask;
    }
    return -1;
}

// bpe_encode_kernel: each word's tokens, in place in tok (which holds the
// bytes as ids on entry); lens[w] <- its token count.
// Thread mapping: one thread per word w = blockIdx.x * blockDim.x + threadIdx.x;
// the word is tok[offsets[w] .. offsets[w+1]). The thread repeats: scan the
// word for its lowest-ranked pair, merge it left to right. That is O(L^2)
// for a word of L bytes — fine for words of text (L ~ 5), and the threads of
// a warp do similar amounts of work because words have similar lengths.
extern "C" __global__ void __launch_bounds__(256)
bpe_encode_kernel(int* __restrict__ tok, int* __restrict__ lens, const int* __restrict__ offsets, int n_words,
                  const unsigned int* __restrict__ rank_keys, const int* __restrict__ rank_vals,
                  unsigned int mask, const int* __restrict__ merges) {
    int w = blockIdx.x * blockDim.x + threadIdx.x;
    if (w >= n_words) return;
    int* s = tok + offsets[w];
    int L = offsets[w + 1] - offsets[w];
    for (;;) {
        int best = 0x7fffffff;
        for (int i = 0; i + 1 < L; i++) {
            int r = rank_of(rank_keys, rank_vals, mask, s[i], s[i + 1]);
            if (r >= 0 && r < best) best = r;
        }
        if (best == 0x7fffffff) break;
        int a = merges[2 * best], b = merges[2 * best + 1], j = 0;
        for (int i = 0; i < L; i++) {
            if (i + 1 < L && s[i] == a && s[i + 1] == b) { s[j++] = 256 + best; i++; }
            else s[j++] = s[i];
        }
        L = j;
    }
    lens[w] = L;
}
