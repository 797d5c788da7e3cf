"""Chapter 06 (and 04): softmax + cross-entropy loss, as a NumPy reference.

For one row of logits z (V scores, one per token of the vocabulary) and the
index t of the true next token:
    probs = softmax(z) = exp(z - max z) / sum exp(z - max z)
    loss  = -log probs[t] = logsumexp(z) - z[t]
Subtracting max z changes nothing mathematically and keeps exp() from
overflowing. The gradient of the loss with respect to the logits is
strikingly simple:
    d loss / d z = probs - onehot(t)
which is why training never needs the softmax's own (V x V) Jacobian.

crossentropy_fused does both at once (llm.c's fused_classifier): with V in
the tens of thousands, the (N, V) probabilities are the biggest activation of
a GPT; the fused op writes the gradient straight into dlogits instead of
storing probs and reading them back. Its gradient is that of the MEAN loss
over the N rows, the number training minimizes.

The declarations check every target against [0, V) for every backend: the C
and CUDA code index the row with it.
"""
import numpy as np

from pystory.declare import array, declare, float32, int32

__all__ = ["crossentropy_forward", "crossentropy_backward", "crossentropy_fused"]


def logits_have_a_column(V):
    """A softmax over no classes has no probabilities: V >= 1."""
    if V == 0:
        return "argument 'logits' must have at least one column (V >= 1)"


def probs_have_a_column(V):
    if V == 0:
        return "argument 'probs' must have at least one column (V >= 1)"


def _softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


LOGITS = array(float32, "(N, V)")
TARGETS = array(int32, "(N,) in [0, V)")


@declare(logits=LOGITS, targets=TARGETS, checks=[logits_have_a_column], returns="losses (N,), probs (N, V)")
def crossentropy_forward(logits, targets):
    # logits: (N, V), targets: (N,) int -> losses: (N,), probs: (N, V)
    probs = _softmax(logits)
    rows = np.arange(logits.shape[0])
    losses = -np.log(probs[rows, targets])
    return losses, probs


@declare(dlosses=array(float32, "(N,)"), probs=array(float32, "(N, V)"), targets=TARGETS,
         checks=[probs_have_a_column], returns="dlogits (N, V)")
def crossentropy_backward(dlosses, probs, targets):
    # dlosses: (N,), probs: (N, V), targets: (N,) -> dlogits: (N, V)
    dlogits = probs.copy()
    dlogits[np.arange(probs.shape[0]), targets] -= 1
    return dlogits * dlosses[:, None]


@declare(logits=LOGITS, targets=TARGETS, checks=[logits_have_a_column], returns="losses (N,), dlogits (N, V)")
def crossentropy_fused(logits, targets):
    # logits: (N, V), targets: (N,) int -> losses: (N,), dlogits: (N, V)
    # dlogits is d mean(losses) / d logits: each row's (probs - onehot) / N.
    N = logits.shape[0]
    z = logits - logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=-1))           # logsumexp of the shifted row
    rows = np.arange(N)
    losses = lse - z[rows, targets]
    dlogits = np.exp(z - lse[:, None])              # = probs, written into the gradient
    dlogits[rows, targets] -= 1
    dlogits *= logits.dtype.type(1.0 / max(N, 1))
    return losses, dlogits
