"""Launches for cuda/latent.cu (chapter 04), shared by the cuda and emu backends.
The checks are in the declarations (pystory/latent.py)."""
import numpy as np

from pystory.gpu import blocks

__all__ = ["gaussian_kl_forward", "gaussian_kl_backward", "reparameterize_forward",
           "reparameterize_backward", "word_dropout"]

THREADS = 256


def _stream(seed, offset, n):
    # The counter blocks that cover words offset .. offset+n-1, and the 64-bit
    # seed and offset as (lo, hi) 32-bit halves (as pystory/gpu/philox.py).
    nblocks = (offset + n + 3) // 4 - offset // 4
    halves = (np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32),
              np.uint32(offset & 0xFFFFFFFF), np.uint32(offset >> 32))
    return nblocks, halves


def gaussian_kl_forward(dev, mu, logvar):
    # mu, logvar: (B, Z) -> kl: (B, Z); one thread per element
    kl = dev.xp.empty_like(mu)
    if mu.size:
        dev.kernel("latent", "gaussian_kl_forward_kernel")(
            (blocks(mu.size, THREADS),), (THREADS,), (kl, mu, logvar, np.int32(mu.size)))
    return kl


def gaussian_kl_backward(dev, dkl, mu, logvar):
    # dkl, mu, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    dmu, dlogvar = dev.xp.empty_like(mu), dev.xp.empty_like(mu)
    if mu.size:
        dev.kernel("latent", "gaussian_kl_backward_kernel")(
            (blocks(mu.size, THREADS),), (THREADS,), (dmu, dlogvar, dkl, mu, logvar, np.int32(mu.size)))
    return dmu, dlogvar


def reparameterize_forward(dev, mu, logvar, seed, offset):
    # mu, logvar: (B, Z) -> z, eps: (B, Z); one thread per Philox block of four normals
    z, eps = dev.xp.empty_like(mu), dev.xp.empty_like(mu)
    n = mu.size
    if n:
        nblocks, halves = _stream(seed, offset, n)
        dev.kernel("latent", "reparameterize_forward_kernel")(
            (blocks(nblocks, THREADS),), (THREADS,),
            (z, eps, mu, logvar, *halves, np.int32(n), np.int32(nblocks)))
    return z, eps


def reparameterize_backward(dev, dz, eps, logvar):
    # dz, eps, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    dmu, dlogvar = dev.xp.empty_like(dz), dev.xp.empty_like(dz)
    if dz.size:
        dev.kernel("latent", "reparameterize_backward_kernel")(
            (blocks(dz.size, THREADS),), (THREADS,), (dmu, dlogvar, dz, eps, logvar, np.int32(dz.size)))
    return dmu, dlogvar


def word_dropout(dev, ids, p, unk_id, seed, offset, T):
    # ids: (B, T) int32 -> out: (B, T) int32; one thread per Philox block of four positions
    out = dev.xp.empty_like(ids)
    n = ids.size
    if n:
        nblocks, halves = _stream(seed, offset, n)
        dev.kernel("latent", "word_dropout_kernel")(
            (blocks(nblocks, THREADS),), (THREADS,),
            (out, ids, np.float32(p), np.int32(unk_id), *halves, np.int32(n), np.int32(T), np.int32(nblocks)))
    return out
