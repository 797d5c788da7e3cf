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

Ids are checked in full against their range by the declarations (C and CUDA
index with them; NumPy would even wrap a negative id silently). The
backwards' `version` picks the CUDA scatter-add: "atomic" (fast, the last
bits vary run to run) or "deterministic" (sort, then reduce); NumPy and C
have one, deterministic, order.
"""
import numpy as np

from pystory.declare import INT32_MAX, array, choice, declare, float32, int32, integer

__all__ = ["embedding_forward", "embedding_backward", "sinusoidal_positions",
           "encoder_forward", "encoder_backward"]


def positions_fit(T, maxT):
    """Position t reads row t of the position table: T <= its rows."""
    if T > maxT:
        return f"argument 'ids' has T = {T} positions, more than the {maxT} rows of 'wpe'"


def positions_fit_max_t(T, max_t):
    if T > max_t:
        return f"argument 'ids' has T = {T} positions, more than max_t = {max_t}"


def table_fits_int32(T, C):
    """The kernels index the (T, C) table with 32-bit ints."""
    if T * C > INT32_MAX:
        return f"T * C = {T * C} is too large (at most {INT32_MAX} values)"


@declare(ids=array(int32, "(...) in [0, V)"), table=array(float32, "(V, C)"),
         returns="out (..., C)")
def embedding_forward(ids, table):
    # ids: (*S,) int, table: (V, C) -> out: (*S, C)
    return table[ids]


VERSIONS = choice("atomic", "deterministic", default="deterministic")


@declare(ids=array(int32, "(...) in [0, vocab)"), dout=array(float32, "(..., C)"), vocab=integer("[1, 2^31)"),
         version=VERSIONS, returns="dtable (vocab, C)")
def embedding_backward(ids, dout, vocab):
    # ids: (*S,), dout: (*S, C) -> dtable: (V, C)
    # The scatter-add: dtable[ids[i]] += dout[i] for every position i, in order.
    C = dout.shape[-1]
    dtable = np.zeros((vocab, C), dtype=dout.dtype)
    np.add.at(dtable, ids.reshape(-1), dout.reshape(-1, C))   # repeated ids accumulate
    return dtable


@declare(T=integer("[0, 2^31)"), C=integer("[0, 2^31)"), checks=[table_fits_int32],
         returns="pe (T, C)")
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


@declare(ids=array(int32, "(B, T) in [0, V)"), wte=array(float32, "(V, C)"), wpe=array(float32, "(maxT, C)"),
         checks=[positions_fit], returns="out (B, T, C)")
def encoder_forward(ids, wte, wpe):
    # ids: (B, T) int, wte: (V, C), wpe: (maxT, C) -> out: (B, T, C)
    T = ids.shape[1]
    return wte[ids] + wpe[:T]                                    # wpe[:T] broadcasts over B


@declare(ids=array(int32, "(B, T) in [0, vocab)"), dout=array(float32, "(B, T, C)"),
         vocab=integer("[1, 2^31)"), max_t=integer("[0, 2^31)"), version=VERSIONS,
         checks=[positions_fit_max_t], returns="dwte (vocab, C), dwpe (max_t, C)")
def encoder_backward(ids, dout, vocab, max_t):
    # ids: (B, T), dout: (B, T, C) -> dwte: (V, C), dwpe: (max_t, C)
    T = ids.shape[1]
    dwte = embedding_backward(ids, dout, vocab)
    dwpe = np.zeros((max_t, dout.shape[-1]), dtype=dout.dtype)
    dwpe[:T] = dout.sum(axis=0)            # position t was used once in each of the B sequences
    return dwte, dwpe
