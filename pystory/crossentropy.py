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
"""
import numpy as np

__all__ = ["crossentropy_forward", "crossentropy_backward", "crossentropy_fused"]


def check_targets(op, targets, V):
    """Every target must index a column of the logits: [0, V)."""
    t = np.asarray(targets)
    if t.size and (t.min() < 0 or t.max() >= V):
        bad = t[(t < 0) | (t >= V)][0]
        raise ValueError(f"{op}: argument 'targets' must be in [0, {V}), found {int(bad)}")


def _softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def crossentropy_forward(logits, targets):
    # logits: (N, V), targets: (N,) int -> losses: (N,), probs: (N, V)
    check_targets("crossentropy_forward", targets, logits.shape[-1])
    probs = _softmax(logits)
    rows = np.arange(logits.shape[0])
    losses = -np.log(probs[rows, targets])
    return losses, probs


def crossentropy_backward(dlosses, probs, targets):
    # dlosses: (N,), probs: (N, V), targets: (N,) -> dlogits: (N, V)
    check_targets("crossentropy_backward", targets, probs.shape[-1])
    dlogits = probs.copy()
    dlogits[np.arange(probs.shape[0]), targets] -= 1
    return dlogits * dlosses[:, None]


def crossentropy_fused(logits, targets):
    # logits: (N, V), targets: (N,) int -> losses: (N,), dlogits: (N, V)
    # dlogits is d mean(losses) / d logits: each row's (probs - onehot) / N.
    check_targets("crossentropy_fused", targets, logits.shape[-1])
    N = logits.shape[0]
    z = logits - logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=-1))           # logsumexp of the shifted row
    rows = np.arange(N)
    losses = lse - z[rows, targets]
    dlogits = np.exp(z - lse[:, None])              # = probs, written into the gradient
    dlogits[rows, targets] -= 1
    dlogits *= logits.dtype.type(1.0 / max(N, 1))
    return losses, dlogits
