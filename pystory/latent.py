"""Chapter 04: the latent code of a VAE — the Gaussian KL, the reparameterization trick, word dropout.

The encoder of a variational autoencoder does not output one code z for a
sentence x; it outputs a Gaussian q(z | x) = N(mu, diag(exp(logvar))), one
(mu, logvar) pair per latent dimension. Three small ops do everything the
latent code needs:

gaussian_kl_forward(mu, logvar) -> kl                 (B, Z)
    The KL divergence from q(z | x) to the prior p(z) = N(0, I), which has a
    closed form for two Gaussians, one number per dimension:
        KL(N(mu, s^2) || N(0, 1)) = 1/2 (mu^2 + s^2 - 1 - log s^2),   s^2 = exp(logvar)
    It is 0 exactly when mu = 0 and logvar = 0: a dimension whose posterior is
    the prior carries no information about x (a "collapsed" dimension).
    Backward:  d kl / d mu = mu,   d kl / d logvar = 1/2 (exp(logvar) - 1).

reparameterize_forward(mu, logvar, seed, offset) -> z, eps    (B, Z) each
    A sample z ~ q(z | x) written as a deterministic function of (mu, logvar)
    and noise that does not depend on them:
        eps = philox_normal(seed, offset, B * Z).reshape(B, Z)      ~ N(0, I)
        z   = mu + exp(logvar / 2) * eps
    so the gradient flows through z into mu and logvar (Kingma & Welling 2014):
        d z / d mu = 1,   d z / d logvar = 1/2 exp(logvar / 2) eps = (z - mu) / 2
    eps comes from the course's Philox stream (chapter 02), so the same
    (seed, offset) gives the same noise on every backend, bit for bit.
    reparameterize_backward(dz, eps, logvar) -> dmu, dlogvar.

word_dropout(ids, p, unk_id, seed, offset) -> ids           (B, T) int32
    Bowman et al. (2016): replace decoder input tokens by UNK with
    probability p, so that the decoder cannot predict the next word from the
    previous one alone and must use z. Position (b, t) uses the uniform
    u = philox_uniform(seed, offset, B * T)[b * T + t]; it becomes unk_id when
    t >= 1 and u < p (in float32, so every backend compares the same numbers).
    Position 0 (the start token) is never dropped.

The C port is csrc/latent.c, the CUDA kernels cuda/latent.cu (one of them,
the fused reparameterize kernel, draws its normals inside the kernel).
"""
import numpy as np

from pystory.declare import array, declare, float32, int32, integer, number
from pystory.philox import philox_normal, philox_uniform

__all__ = ["gaussian_kl_forward", "gaussian_kl_backward", "reparameterize_forward",
           "reparameterize_backward", "word_dropout"]

SEED = integer("[0, 2^64)")      # a Philox seed: any uint64
OFFSET = integer("[0, 2^64)")    # words of the stream already used


def noise_fits_the_stream_BZ(offset, B, Z):
    """The B*Z words from `offset` must not wrap the 64-bit counter (philox.py's rule)."""
    if offset + B * Z + 4 > 2**64:
        return "offset + B * Z must stay below 2^64 - 4 (the Philox counter would wrap)"


def noise_fits_the_stream_BT(offset, B, T):
    if offset + B * T + 4 > 2**64:
        return "offset + B * T must stay below 2^64 - 4 (the Philox counter would wrap)"


@declare(mu=array(float32, "(B, Z)"), logvar=array(float32, "(B, Z)"), returns="kl (B, Z)")
def gaussian_kl_forward(mu, logvar):
    # mu, logvar: (B, Z) -> kl: (B, Z), one KL per latent dimension of each sentence
    return 0.5 * (mu * mu + np.exp(logvar) - 1 - logvar)


@declare(dkl=array(float32, "(B, Z)"), mu=array(float32, "(B, Z)"), logvar=array(float32, "(B, Z)"),
         returns="dmu (B, Z), dlogvar (B, Z)")
def gaussian_kl_backward(dkl, mu, logvar):
    # dkl, mu, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    dmu = dkl * mu
    dlogvar = dkl * 0.5 * (np.exp(logvar) - 1)
    return dmu, dlogvar


@declare(mu=array(float32, "(B, Z)"), logvar=array(float32, "(B, Z)"), seed=SEED, offset=OFFSET,
         checks=[noise_fits_the_stream_BZ], returns="z (B, Z), eps (B, Z)")
def reparameterize_forward(mu, logvar, seed, offset):
    # mu, logvar: (B, Z) -> z, eps: (B, Z); eps[b, j] is normal number b*Z + j from `offset`
    B, Z = mu.shape
    eps = philox_normal(seed, offset, B * Z).reshape(B, Z).astype(mu.dtype)
    std = np.exp(0.5 * logvar)
    z = mu + std * eps
    return z, eps


@declare(dz=array(float32, "(B, Z)"), eps=array(float32, "(B, Z)"), logvar=array(float32, "(B, Z)"),
         returns="dmu (B, Z), dlogvar (B, Z)")
def reparameterize_backward(dz, eps, logvar):
    # dz, eps, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    # z = mu + exp(logvar / 2) * eps: the noise is a constant of the graph, so
    # dz reaches mu unchanged and logvar scaled by d z / d logvar.
    dmu = dz.copy()
    dlogvar = dz * eps * 0.5 * np.exp(0.5 * logvar)
    return dmu, dlogvar


@declare(ids=array(int32, "(B, T)"), p=number("[0, 1]"), unk_id=integer("[0, 2^31)"), seed=SEED,
         offset=OFFSET, checks=[noise_fits_the_stream_BT], returns="out int32 (B, T)")
def word_dropout(ids, p, unk_id, seed, offset):
    # ids: (B, T) int32 -> out: (B, T) int32, each position t >= 1 replaced by unk_id with probability p
    B, T = ids.shape
    u = philox_uniform(seed, offset, B * T).reshape(B, T)       # float32 in [0, 1)
    drop = u < np.float32(p)                                    # compared in float32 on every backend
    drop[:, 0] = False                                          # the start token stays
    return np.where(drop, np.int32(unk_id), ids).astype(np.int32)
