"""Exercise 01.1 — pair counting in NumPy.

The heart of BPE training: how often is every pair of adjacent tokens seen?

    ids:     (N,) int32  the tokens of W words, one after another
    offsets: (W+1,) int32 word w is ids[offsets[w]:offsets[w+1]]
    counts:  (W,) int32  how often word w occurs in the corpus
    return:  (V, V) int32 hist[a, b] = sum over words w of counts[w] times the
             number of positions where a is directly followed by b in word w

Pairs never cross words. Overlaps count: the word [7, 7, 7] holds (7, 7) twice.
Hint: the pair at position i is (ids[i], ids[i+1]); it is inside a word
unless i is a word's last position. Give every pair one integer key, and
one weighted histogram call of NumPy's counts them all.
See chapters/01_tokenizer/README.md, "Counting pairs". Check: make grade CH=01
"""
import numpy as np


def bpe_count_pairs(ids, offsets, counts, vocab_size):
    # ids: (N,), offsets: (W+1,), counts: (W,) -> hist: (V, V) int32
    raise NotImplementedError("exercise 01.1: write bpe_count_pairs")
