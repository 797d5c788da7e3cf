"""Launches for cuda/embedding.cu (chapter 02), shared by the cuda and emu backends."""
import numpy as np

from pystory.check import check_scalar
from pystory.embedding import check_ids
from pystory.gpu import blocks

__all__ = ["embedding_forward", "embedding_backward", "sinusoidal_positions",
           "encoder_forward", "encoder_backward"]

BACKWARD_VERSIONS = ("atomic", "deterministic")
THREADS = 256


def _check_size(op, name, v, low=0):
    v = check_scalar(op, name, v, kind=int)
    if not low <= v < 2**31:
        raise ValueError(f"{op}: argument '{name}' must be in [{low}, 2^31), got {v}")
    return v


def _check_version(op, version):
    if version not in BACKWARD_VERSIONS:
        raise ValueError(f"{op}: version must be one of {BACKWARD_VERSIONS}, got {version!r}")


def embedding_forward(dev, ids, table):
    # ids: (*S,) int32, table: (V, C) float32 -> out: (*S, C)
    dev.check("embedding_forward", "ids", ids, np.int32)
    dev.check("embedding_forward", "table", table, np.float32, ndim=2)
    V, C = table.shape
    check_ids("embedding_forward", ids, V, dev.xp)
    out = dev.xp.empty(ids.shape + (C,), np.float32)
    n = ids.size * C
    if n:
        dev.kernel("embedding", "embedding_forward_kernel")(
            (blocks(n, THREADS),), (THREADS,), (out, ids, table, np.int32(ids.size), np.int32(C)))
    return out


def _scatter_add(dev, dtable, ids, dout, version):
    # dtable (V, C) += scatter of dout (N, C) by ids (N,); dtable is zero on entry for "atomic".
    V, C = dtable.shape
    N = ids.size
    if version == "atomic":
        if N * C:
            dev.kernel("embedding", "embedding_backward_atomic_kernel")(
                (blocks(N * C, THREADS),), (THREADS,), (dtable, ids, dout, np.int32(N), np.int32(C)))
        return
    # deterministic: sort the tokens by (id, position). The key id * N + position
    # is unique, so any sort (stable or not, CuPy's radix sort or NumPy's) gives
    # the same order, and within one id the tokens keep their position order.
    flat = ids.reshape(-1)
    key = flat.astype(np.int64) * max(N, 1) + dev.xp.arange(N, dtype=np.int64)
    perm = dev.xp.argsort(key).astype(np.int32)
    sorted_ids = dev.xp.ascontiguousarray(flat[perm])
    if V and C:
        dev.kernel("embedding", "embedding_backward_deterministic_kernel")(
            (V, blocks(C, THREADS)), (THREADS,), (dtable, sorted_ids, perm, dout, np.int32(N), np.int32(C)))


def embedding_backward(dev, ids, dout, vocab, *, version="deterministic"):
    # ids: (*S,) int32, dout: (*S, C) float32 -> dtable: (vocab, C)
    # version: "atomic" (fast, last bits vary run to run) or "deterministic" (sort, then reduce).
    _check_version("embedding_backward", version)
    vocab = _check_size("embedding_backward", "vocab", vocab, low=1)
    dev.check("embedding_backward", "ids", ids, np.int32)
    dev.check("embedding_backward", "dout", dout, np.float32, shape=ids.shape + (None,))
    check_ids("embedding_backward", ids, vocab, dev.xp)
    dtable = dev.xp.zeros((vocab, dout.shape[-1]), np.float32)
    _scatter_add(dev, dtable, ids, dout, version)
    return dtable


def sinusoidal_positions(dev, T, C):
    # -> (T, C) float32
    T = _check_size("sinusoidal_positions", "T", T)
    C = _check_size("sinusoidal_positions", "C", C)
    if T * C >= 2**31:
        raise ValueError(f"sinusoidal_positions: T * C = {T * C} is too large (at most 2^31 - 1)")
    out = dev.xp.empty((T, C), np.float32)
    if T * C:
        dev.kernel("embedding", "sinusoidal_positions_kernel")(
            (blocks(T * C, THREADS),), (THREADS,), (out, np.int32(T), np.int32(C)))
    return out


def encoder_forward(dev, ids, wte, wpe):
    # ids: (B, T) int32, wte: (V, C), wpe: (maxT, C) float32 -> out: (B, T, C)
    dev.check("encoder_forward", "ids", ids, np.int32, ndim=2)
    dev.check("encoder_forward", "wte", wte, np.float32, ndim=2)
    dev.check("encoder_forward", "wpe", wpe, np.float32, shape=(None, wte.shape[1]))
    B, T = ids.shape
    V, C = wte.shape
    if T > wpe.shape[0]:
        raise ValueError(f"encoder_forward: sequence length T={T} exceeds the {wpe.shape[0]} positions of 'wpe'")
    check_ids("encoder_forward", ids, V, dev.xp)
    out = dev.xp.empty((B, T, C), np.float32)
    if B * T * C:
        dev.kernel("embedding", "encoder_forward_kernel")(
            (blocks(B * T * C, THREADS),), (THREADS,), (out, ids, wte, wpe, np.int32(B), np.int32(T), np.int32(C)))
    return out


def encoder_backward(dev, ids, dout, vocab, max_t, *, version="deterministic"):
    # ids: (B, T) int32, dout: (B, T, C) float32 -> dwte: (vocab, C), dwpe: (max_t, C)
    _check_version("encoder_backward", version)
    vocab = _check_size("encoder_backward", "vocab", vocab, low=1)
    max_t = _check_size("encoder_backward", "max_t", max_t)
    dev.check("encoder_backward", "ids", ids, np.int32, ndim=2)
    B, T = ids.shape
    dev.check("encoder_backward", "dout", dout, np.float32, shape=(B, T, None))
    if T > max_t:
        raise ValueError(f"encoder_backward: sequence length T={T} exceeds max_t={max_t}")
    check_ids("encoder_backward", ids, vocab, dev.xp)
    C = dout.shape[-1]
    dwte = dev.xp.zeros((vocab, C), np.float32)
    dwpe = dev.xp.zeros((max_t, C), np.float32)           # rows t >= T stay zero
    _scatter_add(dev, dwte, ids, dout, version)
    if T * C:
        dev.kernel("embedding", "encoder_backward_wpe_kernel")(
            (blocks(T * C, THREADS),), (THREADS,), (dwpe, dout, np.int32(B), np.int32(T), np.int32(C)))
    return dwte, dwpe
