"""Chapter 02: embeddings — token lookup, positions, and the GPT input op.

A token id is an index into a table of vectors. Looking a row up is the same
as multiplying a one-hot vector by the table,

    onehot(id) @ table == table[id]          # (V,) @ (V, C) -> (C,)

so the gradient follows from the matmul rule: d table = onehot^T @ dout, i.e.
each output row's gradient is *added* into the row it came from. When an id
appears several times in a batch its row receives the sum: the backward is a
scatter-add, and the order of that sum is where determinism is won or lost.

Ops (the same names in csrc/embedding.c and cuda/embedding.cu):
    embedding_forward(ids, table) -> out          ids: any shape, int32; table (V, C)
    embedding_backward(ids, dout, vocab) -> dtable
    sinusoidal_positions(T, C) -> (T, C)          the fixed encodings of "Attention is all you need"
    encoder_forward(ids, wte, wpe) -> out         GPT-2's input: wte[ids] + wpe[:T] (llm.c's name)
    encoder_backward(ids, dout, vocab, max_t) -> (dwte, dwpe)

Learned position embeddings are an embedding table indexed by position:
wpe[:T] == embedding_forward(np.arange(T), wpe); encoder_forward adds them.
"""
import numpy as np

__all__ = ["embedding_forward", "embedding_backward", "sinusoidal_positions",
           "encoder_forward", "encoder_backward"]


def check_ids(op, ids, vocab, xp=np, name="ids"):
    """Raise ValueError unless every id is in [0, vocab). Out-of-range ids would
    read (forward) or write (backward) outside the table; NumPy would even wrap
    negative ids silently, so the reference checks too."""
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= vocab):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"{op}: argument '{name}' holds token id {bad}, outside [0, {vocab})")


def embedding_forward(ids, table):
    # ids: (*S,) int, table: (V, C) -> out: (*S, C)
    check_ids("embedding_forward", ids, table.shape[0])
    return table[ids]


def embedding_backward(ids, dout, vocab):
    # ids: (*S,), dout: (*S, C) -> dtable: (V, C)
    # The scatter-add: dtable[ids[i]] += dout[i] for every position i, in order.
    check_ids("embedding_backward", ids, vocab)
    C = dout.shape[-1]
    dtable = np.zeros((vocab, C), dtype=dout.dtype)
    np.add.at(dtable, ids.reshape(-1), dout.reshape(-1, C))   # repeated ids accumulate
    return dtable


def sinusoidal_positions(T, C):
    # -> (T, C) float32: PE[t, 2i] = sin(t / 10000^(2i/C)), PE[t, 2i+1] = cos(t / 10000^(2i/C))
    # Each pair of channels is a clock of its own frequency, from one turn per
    # 2 pi positions (i = 0) down to one per 10000 * 2 pi: nearby positions get
    # similar vectors, and PE[t + k] is a rotation of PE[t] (a linear map of it).
    t = np.arange(T, dtype=np.float64)[:, None]                  # (T, 1)
    i2 = np.arange(0, C, 2, dtype=np.float64)[None, :]           # (1, ceil(C/2)): 0, 2, 4, ...
    angle = t / np.power(10000.0, i2 / C)                        # (T, ceil(C/2))
    pe = np.empty((T, C), dtype=np.float64)
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, :C // 2])                      # odd C: the last column is a sin
    return pe.astype(np.float32)


def encoder_forward(ids, wte, wpe):
    # ids: (B, T) int, wte: (V, C), wpe: (maxT, C) -> out: (B, T, C)
    B, T = ids.shape
    if T > wpe.shape[0]:
        raise ValueError(f"encoder_forward: sequence length T={T} exceeds the {wpe.shape[0]} positions of 'wpe'")
    check_ids("encoder_forward", ids, wte.shape[0])
    return wte[ids] + wpe[:T]                                    # wpe[:T] broadcasts over B


def encoder_backward(ids, dout, vocab, max_t):
    # ids: (B, T), dout: (B, T, C) -> dwte: (V, C), dwpe: (max_t, C)
    B, T = ids.shape
    if T > max_t:
        raise ValueError(f"encoder_backward: sequence length T={T} exceeds max_t={max_t}")
    check_ids("encoder_backward", ids, vocab)
    dwte = embedding_backward(ids, dout, vocab)
    dwpe = np.zeros((max_t, dout.shape[-1]), dtype=dout.dtype)
    dwpe[:T] = dout.sum(axis=0)            # position t was used once in each of the B sequences
    return dwte, dwpe
