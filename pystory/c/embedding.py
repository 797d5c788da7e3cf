"""C backend bindings for chapter 02's embeddings (csrc/embedding.c); checks: pystory/embedding.py.
The C scatter-adds run in position order, so every `version` gets the deterministic one."""
import numpy as np

from pystory.c import ext, ptr


def embedding_forward(ids, table, V, C):
    # ids: (*S,) int32 in [0, V), table: (V, C) float32 -> out: (*S, C)
    out = np.empty(ids.shape + (C,), np.float32)
    ext().lib.embedding_forward(ptr(out), ptr(ids), ptr(table), ids.size, V, C)
    return out


def embedding_backward(ids, dout, vocab, C):
    # ids: (*S,) int32, dout: (*S, C) float32 -> dtable: (vocab, C)
    dtable = np.empty((vocab, C), np.float32)
    ext().lib.embedding_backward(ptr(dtable), ptr(ids), ptr(dout), vocab, ids.size, C)
    return dtable


def sinusoidal_positions(T, C):
    # -> (T, C) float32
    out = np.empty((T, C), np.float32)
    ext().lib.sinusoidal_positions(ptr(out), T, C)
    return out


def encoder_forward(ids, wte, wpe, B, T, C):
    # ids: (B, T) int32, wte: (V, C), wpe: (maxT, C) float32 -> out: (B, T, C)
    out = np.empty((B, T, C), np.float32)
    ext().lib.encoder_forward(ptr(out), ptr(ids), ptr(wte), ptr(wpe), B, T, C)
    return out


def encoder_backward(ids, dout, vocab, max_t, B, T, C):
    # ids: (B, T) int32, dout: (B, T, C) float32 -> dwte: (vocab, C), dwpe: (max_t, C)
    dwte = np.empty((vocab, C), np.float32)
    dwpe = np.empty((max_t, C), np.float32)
    ext().lib.encoder_backward(ptr(dwte), ptr(dwpe), ptr(ids), ptr(dout), vocab, max_t, B, T, C)
    return dwte, dwpe
