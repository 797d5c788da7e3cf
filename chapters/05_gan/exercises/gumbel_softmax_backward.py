"""Exercise 05.1 — the Gumbel-softmax backward pass in NumPy.

The forward (pystory/gumbel.py) computed, per row of V entries,
    z = (logits + g) / tau,    y = softmax(z)
and returned the cache (y, tau). Given dy = d loss / d y, return
    dlogits: (N, V)   d loss / d logits
The noise g does not depend on the logits. Keep the dtype (float32 or float64).
Hint: first the softmax's backward, dz from dy and y (chapter 03 derived it);
then the chain rule through the division by tau.
Check your work: make grade CH=05
"""
import numpy as np


def gumbel_softmax_backward(dy, cache):
    # dy: (N, V), cache = (y: (N, V), tau: float) -> dlogits: (N, V)
    raise NotImplementedError("exercise 05.1: write gumbel_softmax_backward")
