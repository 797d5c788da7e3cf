"""Chapter 05: binary cross-entropy on logits, the discriminator's loss, as a NumPy reference.

A discriminator outputs one score z per story (a logit: any real number);
sigmoid(z) = 1 / (1 + exp(-z)) is its belief that the story is real. With
the label y in [0, 1] (1 = real, 0 = generated), the loss per story is

    loss = -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))

Written that way it breaks down exactly where training pushes it: at
z = -100, sigmoid(z) = exp(-100) underflows to 0 in float32 and log(0) = -inf.
Using log sigmoid(z) = -log(1 + exp(-z)) and log(1 - sigmoid(z)) = -z - log(1 + exp(-z))
and splitting on the sign of z gives the form PyTorch uses, in which no
exp() ever sees a positive argument:

    loss = max(z, 0) - z * y + log(1 + exp(-|z|))          (log1p for small exp(-|z|))

The gradient is the famously simple
    dloss/dz = sigmoid(z) - y
with sigmoid computed on the side of 0 where it cannot overflow:
    z >= 0:  1 / (1 + exp(-z))        z < 0:  exp(z) / (1 + exp(z))
"""
import numpy as np

from pystory.declare import array, declare, float32

__all__ = ["bce_with_logits_forward", "bce_with_logits_backward"]


def labels(N, rng):
    """Targets for the generated test call: labels in [0, 1] (a normal draw would leave the range)."""
    return {"targets": rng.random(N).astype(np.float32)}


@declare(logits=array(float32, "(N,)"), targets=array(float32, "(N,) in [0, 1]"),
         example=labels, returns="loss (N,)")
def bce_with_logits_forward(logits, targets):
    # logits, targets: (N,) -> loss: (N,), one loss per element (no mean: the caller chooses)
    z, y = logits, targets
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z):
    """1 / (1 + exp(-z)) without overflow, in z's dtype."""
    e = np.exp(-np.abs(z))                      # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)


@declare(dloss=array(float32, "(N,)"), logits=array(float32, "(N,)"),
         targets=array(float32, "(N,) in [0, 1]"), example=labels, returns="dlogits (N,)")
def bce_with_logits_backward(dloss, logits, targets):
    # dloss, logits, targets: (N,) -> dlogits: (N,) = dloss * (sigmoid(logits) - targets)
    return dloss * (sigmoid(logits) - targets)
