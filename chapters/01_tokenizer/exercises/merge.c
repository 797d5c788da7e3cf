// Exercise 01.2 — applying one merge, in C.
//
// Every word (word w is ids[offsets[w] .. offsets[w+1])) is copied to out_ids
// with each pair (a, b) replaced by the single token new_id, scanning LEFT TO
// RIGHT: with (a, a), "a a a a" becomes "X X" and "a a a" becomes "X a".
// Pairs never cross words. out_offsets (n_words + 1 entries) gets the new word
// boundaries (out_offsets[0] = 0). Return the total number of tokens written.
// The caller owns out_ids (as long as ids) and out_offsets.
// See chapters/01_tokenizer/README.md, "Applying a merge". Check: make grade CH=01
int bpe_merge(int* out_ids, int* out_offsets, const int* ids, const int* offsets, int n_words,
              int a, int b, int new_id) {
    // TODO: your code here.
    (void)out_ids; (void)out_offsets; (void)ids; (void)offsets; (void)n_words;
    (void)a; (void)b; (void)new_id;
    return -1;
}
