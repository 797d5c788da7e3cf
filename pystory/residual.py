"""Chapter 06: the residual connection, out = a + b, as a NumPy reference.

A transformer block adds each sub-layer's output to its input
(x = x + attn(ln1(x)); x = x + mlp(ln2(x))), so the gradient flows back
through the sum unchanged: d out / d a = d out / d b = identity.

residual_backward(dout) therefore returns (dout, dout): the SAME array
twice, not copies (a copy would cost memory and time for nothing). The caller
must treat them as read-only, or copy one before changing it in place; every
backend follows this convention.
"""
from pystory.declare import array, declare, float32

__all__ = ["residual_forward", "residual_backward"]


@declare(a=array(float32, "(...)"), b=array(float32, "(...)"), returns="out (...)")
def residual_forward(a, b):
    # a, b: same shape -> out: same shape
    return a + b


@declare(dout=array(float32, "(...)"), returns="da (...), db (...)")
def residual_backward(dout):
    # dout -> (da, db): both are dout itself (see the module docstring)
    return dout, dout
