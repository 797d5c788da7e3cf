"""Chapter 06 (and 04): the AdamW optimizer and gradient clipping, as NumPy references.

All parameters of a model live in ONE contiguous 1-D buffer (and so do the
gradients, and Adam's two moment buffers m and v), as in llm.c: then one
update call touches every parameter, and a C loop or a CUDA grid over one
flat array is all it takes.

AdamW, step t (1-based), for every parameter p with gradient g:
    m  = beta1 * m + (1 - beta1) * g           running mean of g
    v  = beta2 * v + (1 - beta2) * g^2         running mean of g^2
    mh = m / (1 - beta1^t)                     bias correction: m, v start at 0
    vh = v / (1 - beta2^t)
    p -= lr * (mh / (sqrt(vh) + eps) + wd * p) ("decoupled" weight decay)
Weight decay applies only where decay_mask is 1: GPT-2 decays the matrices,
not the biases, LayerNorm weights or ... (the model sets the mask).

adamw_update works IN PLACE on params, m and v and returns None: the
optimizer owns its state, and a model's parameters are views into the one
buffer, so replacing the buffer would detach every view.

Gradient clipping: grad_norm(grads) is the global L2 norm of all gradients;
scale_inplace(x, s) multiplies in place; clip_grad_norm(grads, max_norm)
uses both (scales only if norm > max_norm) and returns the norm before clipping.

The declarations say which arguments are written in place (a read-only
array there is refused: a memmap opened with mode="r" would crash C), and
that params, grads, m and v must be four different buffers: with m is v the
update would read what it has just written, and the backends would disagree.
"""
import numpy as np

from pystory.declare import array, declare, float32, integer, number, uint8

__all__ = ["adamw_update", "grad_norm", "scale_inplace", "clip_grad_norm"]

P = array(float32, "(P,)")          # one flat buffer of all P parameters (or gradients, moments)


@declare(params=P, grads=P, m=P, v=P, step=integer("[1, 2^31)"), lr=number(),
         beta1=number("[0, 1)"), beta2=number("[0, 1)"), eps=number("[0, inf)"), weight_decay=number(),
         decay_mask=array(uint8, "(P,)", optional=True),
         writes=("params", "m", "v"), distinct=("params", "grads", "m", "v", "decay_mask"), returns=None)
def adamw_update(params, grads, m, v, step, lr, beta1=0.9, beta2=0.95, eps=1e-8,
                 weight_decay=0.0, decay_mask=None):
    # params, grads, m, v: (P,) float, updated in place; decay_mask: (P,) uint8 or None
    # Self-contained on purpose: the formula above, line for line.
    dt = params.dtype.type
    m *= dt(beta1)
    m += dt(1 - beta1) * grads
    v *= dt(beta2)
    v += dt(1 - beta2) * grads * grads
    m_hat = m / dt(1 - beta1 ** step)
    v_hat = v / dt(1 - beta2 ** step)
    update = m_hat / (np.sqrt(v_hat) + dt(eps))
    if weight_decay != 0.0:
        decay = params * dt(weight_decay)
        if decay_mask is not None:
            decay = decay * decay_mask.astype(params.dtype)
        update += decay
    params -= dt(lr) * update


@declare(grads=P, returns="norm float")
def grad_norm(grads):
    # grads: (P,) -> the L2 norm, a Python float (accumulated in float64)
    g = grads.astype(np.float64)
    return float(np.sqrt(np.dot(g, g)))


@declare(x=P, s=number(), writes=("x",), returns=None)
def scale_inplace(x, s):
    # x: (P,) float, multiplied by s in place
    x *= x.dtype.type(s)


@declare(grads=P, max_norm=number("(0, inf)"), writes=("grads",), returns="norm float")
def clip_grad_norm(grads, max_norm):
    # grads: (P,), scaled in place so its norm is at most max_norm -> the norm before
    norm = grad_norm(grads)
    if norm > max_norm:
        scale_inplace(grads, max_norm / (norm + 1e-6))
    return norm
