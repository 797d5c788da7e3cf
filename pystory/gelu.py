"""Chapter 06 (and 04): the GELU activation, tanh approximation (as GPT-2), NumPy reference.

GELU(x) = x * Phi(x), with Phi the normal CDF: "let x through in proportion
to how likely a standard normal is below x". GPT-2 uses the tanh approximation
    gelu(x) = 0.5 * x * (1 + tanh(u)),   u = sqrt(2/pi) * (x + 0.044715 x^3)
and its derivative
    gelu'(x) = 0.5 * (1 + tanh(u)) + 0.5 * x * (1 - tanh(u)^2) * du/dx,
    du/dx    = sqrt(2/pi) * (1 + 3 * 0.044715 x^2).
"""
import numpy as np

from pystory.declare import array, declare, float32

__all__ = ["gelu_forward", "gelu_backward"]

GELU_SCALE = np.sqrt(2.0 / np.pi)   # 0.7978845608...
GELU_CUBE = 0.044715


@declare(x=array(float32, "(...)"), returns="out (...)")
def gelu_forward(x):
    # x: any shape -> out: same shape
    u = x.dtype.type(GELU_SCALE) * (x + x.dtype.type(GELU_CUBE) * x * x * x)
    return 0.5 * x * (1 + np.tanh(u))


@declare(dout=array(float32, "(...)"), x=array(float32, "(...)"), returns="dx (...)")
def gelu_backward(dout, x):
    # dout, x: same shape -> dx
    s, k = x.dtype.type(GELU_SCALE), x.dtype.type(GELU_CUBE)
    t = np.tanh(s * (x + k * x * x * x))
    du = s * (1 + 3 * k * x * x)
    return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
