"""Exercise 04.1 — the backward of the Gaussian KL divergence, in NumPy.

The forward (pystory/latent.py) computes, for every sentence b and latent
dimension j, the KL divergence from q = N(mu, exp(logvar)) to N(0, 1):
    kl = 1/2 (mu^2 + exp(logvar) - 1 - logvar)                    (B, Z)
Given dkl = d loss / d kl, return the gradients of the loss with respect to
    dmu:     (B, Z)
    dlogvar: (B, Z)
Each kl[b, j] depends only on mu[b, j] and logvar[b, j]: differentiate the
formula by hand (chain rule: multiply by dkl). Keep the dtype (float32 or float64).
Check your work: make grade CH=04
"""
import numpy as np


def gaussian_kl_backward(dkl, mu, logvar):
    # dkl, mu, logvar: (B, Z) -> dmu, dlogvar: (B, Z)
    raise NotImplementedError("exercise 04.1: write gaussian_kl_backward")
