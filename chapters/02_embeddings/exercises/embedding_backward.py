"""Exercise 02.1 — the embedding backward in NumPy: a scatter-add.

The forward was out = table[ids] (ids of any shape, table (V, C)). Return
dtable, a (vocab, C) array of dout's dtype with dtable[v] = the sum of dout[i]
over every position i with ids[i] == v (zero for ids that never occur).
Careful: `dtable[ids] += dout` is wrong when an id repeats (NumPy's fancy
assignment keeps only one of the writes). See chapters/02_embeddings/README.md.
Check your work: make grade CH=02
"""
import numpy as np


def embedding_backward(ids, dout, vocab):
    # ids: (*S,), dout: (*S, C) -> dtable: (vocab, C)
    raise NotImplementedError("exercise 02.1: write embedding_backward")
