"""C backend bindings for the VAE's latent code (csrc/latent.c); checks: pystory/latent.py."""
import numpy as np

from pystory.c import ext, ptr

__all__ = ["gaussian_kl_forward", "gaussian_kl_backward", "reparameterize_forward",
           "reparameterize_backward", "word_dropout"]


def gaussian_kl_forward(mu, logvar):
    # mu, logvar: (B, Z) -> kl: (B, Z)
    kl = np.empty_like(mu)
    if mu.size:
        ext().lib.gaussian_kl_forward(ptr(kl), ptr(mu), ptr(logvar), mu.size)
    return kl


def gaussian_kl_backward(dkl, mu, logvar):
    # dkl, mu, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    dmu, dlogvar = np.empty_like(mu), np.empty_like(mu)
    if mu.size:
        ext().lib.gaussian_kl_backward(ptr(dmu), ptr(dlogvar), ptr(dkl), ptr(mu), ptr(logvar), mu.size)
    return dmu, dlogvar


def reparameterize_forward(mu, logvar, seed, offset):
    # mu, logvar: (B, Z) -> z, eps: (B, Z)
    z, eps = np.empty_like(mu), np.empty_like(mu)
    if mu.size:
        ext().lib.reparameterize_forward(ptr(z), ptr(eps), ptr(mu), ptr(logvar), seed, offset, mu.size)
    return z, eps


def reparameterize_backward(dz, eps, logvar):
    # dz, eps, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    dmu, dlogvar = np.empty_like(dz), np.empty_like(dz)
    if dz.size:
        ext().lib.reparameterize_backward(ptr(dmu), ptr(dlogvar), ptr(dz), ptr(eps), ptr(logvar), dz.size)
    return dmu, dlogvar


def word_dropout(ids, p, unk_id, seed, offset, B, T):
    # ids: (B, T) int32 -> out: (B, T) int32
    out = np.empty_like(ids)
    if ids.size:
        ext().lib.word_dropout(ptr(out), ptr(ids), p, unk_id, seed, offset, B, T)
    return out
