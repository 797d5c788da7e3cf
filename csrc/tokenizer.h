#ifndef PYSTORY_TOKENIZER_H
#define PYSTORY_TOKENIZER_H
#include <stdint.h>
// Chapter 01: byte-level BPE. Words are CSR: word w is data[offsets[w] .. offsets[w+1]).
// Outputs first; functions that produce a variable amount return how much
// (or -1 when memory runs out).
int pretokenize(int* offsets, const uint8_t* data, int n);
int unique_words(int* first, int* counts, const uint8_t* data, const int* offsets, int n_words);
void bpe_count_pairs(int* hist, const int* ids, const int* offsets, const int* counts,
                     int n_words, int vocab_size);
int bpe_merge(int* out_ids, int* out_offsets, const int* ids, const int* offsets, int n_words,
              int a, int b, int new_id);
int bpe_train(int* merges, const uint8_t* data, const int* offsets, const int* counts,
              int n_words, int n_merges);
int bpe_encode(int* out_ids, int* token_offsets, const uint8_t* data, const int* offsets, int n_words,
               const int* merges, int n_merges);
#endif
