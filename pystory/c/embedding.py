"""C backend bindings for chapter 02's embeddings (csrc/embedding.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import check_array, check_scalar
from pystory.embedding import check_ids

__all__ = ["embedding_forward", "embedding_backward", "sinusoidal_positions",
           "encoder_forward", "encoder_backward"]


def _check_size(op, name, v, low=0):
    v = check_scalar(op, name, v, kind=int)
    if not low <= v < 2**31:
        raise ValueError(f"{op}: argument '{name}' must be in [{low}, 2^31), got {v}")
    return v


def embedding_forward(ids, table):
    # ids: (*S,) int32, table: (V, C) float32 -> out: (*S, C)
    check_array("embedding_forward", "ids", ids, np.int32)
    check_array("embedding_forward", "table", table, np.float32, ndim=2)
    V, C = table.shape
    check_ids("embedding_forward", ids, V)         # C reads table[ids[i]]: never out of bounds
    out = np.empty(ids.shape + (C,), np.float32)
    ext().lib.embedding_forward(ptr(out), ptr(ids), ptr(table), ids.size, V, C)
    return out


def embedding_backward(ids, dout, vocab):
    # ids: (*S,) int32, dout: (*S, C) float32 -> dtable: (vocab, C)
    vocab = _check_size("embedding_backward", "vocab", vocab, low=1)
    check_array("embedding_backward", "ids", ids, np.int32)
    check_array("embedding_backward", "dout", dout, np.float32, shape=ids.shape + (None,))
    check_ids("embedding_backward", ids, vocab)
    C = dout.shape[-1]
    dtable = np.empty((vocab, C), np.float32)
    ext().lib.embedding_backward(ptr(dtable), ptr(ids), ptr(dout), vocab, ids.size, C)
    return dtable


def sinusoidal_positions(T, C):
    # -> (T, C) float32
    T = _check_size("sinusoidal_positions", "T", T)
    C = _check_size("sinusoidal_positions", "C", C)
    if T * C >= 2**31:
        raise ValueError(f"sinusoidal_positions: T * C = {T * C} is too large (at most 2^31 - 1)")
    out = np.empty((T, C), np.float32)
    ext().lib.sinusoidal_positions(ptr(out), T, C)
    return out


def encoder_forward(ids, wte, wpe):
    # ids: (B, T) int32, wte: (V, C), wpe: (maxT, C) float32 -> out: (B, T, C)
    check_array("encoder_forward", "ids", ids, np.int32, ndim=2)
    check_array("encoder_forward", "wte", wte, np.float32, ndim=2)
    check_array("encoder_forward", "wpe", wpe, np.float32, shape=(None, wte.shape[1]))
    B, T = ids.shape
    V, C = wte.shape
    if T > wpe.shape[0]:
        raise ValueError(f"encoder_forward: sequence length T={T} exceeds the {wpe.shape[0]} positions of 'wpe'")
    check_ids("encoder_forward", ids, V)
    out = np.empty((B, T, C), np.float32)
    ext().lib.encoder_forward(ptr(out), ptr(ids), ptr(wte), ptr(wpe), B, T, C)
    return out


def encoder_backward(ids, dout, vocab, max_t):
    # ids: (B, T) int32, dout: (B, T, C) float32 -> dwte: (vocab, C), dwpe: (max_t, C)
    vocab = _check_size("encoder_backward", "vocab", vocab, low=1)
    max_t = _check_size("encoder_backward", "max_t", max_t)
    check_array("encoder_backward", "ids", ids, np.int32, ndim=2)
    B, T = ids.shape
    check_array("encoder_backward", "dout", dout, np.float32, shape=(B, T, None))
    if T > max_t:
        raise ValueError(f"encoder_backward: sequence length T={T} exceeds max_t={max_t}")
    check_ids("encoder_backward", ids, vocab)
    C = dout.shape[-1]
    dwte = np.empty((vocab, C), np.float32)
    dwpe = np.empty((max_t, C), np.float32)
    ext().lib.encoder_backward(ptr(dwte), ptr(dwpe), ptr(ids), ptr(dout), vocab, max_t, B, T, C)
    return dwte, dwpe
