"""Chapter 05: the Gumbel-softmax, a differentiable stand-in for drawing a token, as a NumPy reference.

Why a GAN for text needs it. The generator's last step is a draw: token =
sample(softmax(logits)). The discriminator judges the token, but a draw has
no derivative — nudging a logit a little changes which token comes out with
some probability, never a little. So the discriminator's gradient stops at
the draw and the generator learns nothing.

The Gumbel-max trick (Gumbel 1954; Maddison et al. 2014) rewrites the draw
as noise plus an argmax: with u ~ uniform(0, 1) and g = -log(-log u),

    argmax_v (logits[v] + g[v])   is distributed exactly as   softmax(logits)

The randomness is now all in g, outside the model. Replacing the argmax by a
softmax at temperature tau (Jang et al. 2017; Maddison et al. 2017) gives a
"soft token", a probability vector close to one-hot when tau is small:

    y = softmax((logits + g) / tau)          per row; y -> one-hot(argmax) as tau -> 0

and y is differentiable in the logits. Small tau: close to a real token, but
the gradient is large and noisy. Large tau: smooth, useful gradients, but y
is a blur no real story contains (the discriminator spots it at once).
RelGAN (Nie et al. 2019) therefore anneals 1/tau from 1 up to beta_max.

The noise. For logits (N, V), element i = n*V + v uses Philox word offset + i:
    u = philox_uniform(seed, offset, N*V) + 2^-25           in (0, 1), never 0 or 1
computed in float64 (so u = (2k + 1) * 2^-25 exactly for the word's top 24 bits k),
    g = float32(-log(-log u))
and then everything else is float32. Every backend computes the same g, so
the three implementations agree to float32 rounding and a test can compare
against PyTorch given our g.

The backward. y is a softmax of z = (logits + g) / tau, so
    dz = y * (dy - sum_v dy * y)         (the softmax backward)
    dlogits = dz / tau                   (g does not depend on the logits)

Straight-through ("hard"): mode="hard" returns one-hot(argmax y) (the first
maximum) as the output, but its backward is the soft y's. The discriminator
then sees real tokens; the generator gets the soft gradient.
"""
import numpy as np

from pystory.declare import array, choice, declare, float32, integer, number, tuple_of
from pystory.philox import philox_uniform

__all__ = ["gumbel_softmax_forward", "gumbel_softmax_backward"]      # the ops (gumbel_noise: a helper)

HALF_STEP = 2.0 ** -25      # half the spacing of philox_uniform: moves u off 0 (and off 1)


def noise_fits_the_stream(offset, N, V):
    if offset + N * V + 4 > 2**64:
        return f"argument 'offset' + N*V must stay below 2^64 - 4 (the Philox counter would wrap), got {offset}"


def rows_have_an_entry(V):
    if V == 0:
        return "argument 'logits' must have V >= 1 entries per row: a softmax of nothing is undefined"


def gumbel_noise(seed, offset, N, V):
    """g: (N, V) float32, the Gumbel noise of elements offset .. offset + N*V - 1 of the stream of `seed`."""
    u = philox_uniform(seed, offset, N * V).astype(np.float64) + HALF_STEP      # exact in float64
    return (-np.log(-np.log(u))).astype(np.float32).reshape(N, V)


GUMBEL_CACHE = tuple_of(y=array(float32, "(N, V)"), tau=number("(0, inf)"))


@declare(logits=array(float32, "(N, V)"), tau=number("(0, inf)"), seed=integer("[0, 2^64)"),
         offset=integer("[0, 2^64)"), mode=choice("soft", "hard", default="soft"),
         checks=[rows_have_an_entry, noise_fits_the_stream], returns=("out (N, V)", GUMBEL_CACHE))
def gumbel_softmax_forward(logits, tau, seed, offset, mode="soft"):
    # logits: (N, V) -> out: (N, V) (y, or one-hot(argmax y) if mode is "hard"), cache = (y, tau)
    N, V = logits.shape
    dt = logits.dtype.type
    g = gumbel_noise(seed, offset, N, V).astype(logits.dtype)
    z = (logits + g) / dt(tau)                                            # (N, V)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)                                  # softmax per row
    if mode == "hard":
        out = np.zeros_like(y)
        out[np.arange(N), np.argmax(y, axis=1)] = 1                       # the first maximum
        return out, (y, tau)
    return y, (y, tau)


@declare(dy=array(float32, "(N, V)"), cache=GUMBEL_CACHE, returns="dlogits (N, V)")
def gumbel_softmax_backward(dy, cache):
    # dy: (N, V) -> dlogits: (N, V)
    y, tau = cache
    dz = y * (dy - (dy * y).sum(axis=1, keepdims=True))                   # softmax backward
    return dz / y.dtype.type(tau)
