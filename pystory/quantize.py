"""Chapter 07: the GPT with int8 weights — quantize a checkpoint, load it, run it in integers.

    python -m pystory quantize --model pystory/models/story.ckpt --out story.q8.ckpt
    python -m pystory story --model story.q8.ckpt        (eval and serve load it too)

Every matrix of the model (wte, wpe, qkvw, attprojw, fcw, fcprojw) is stored
as int8 with one float32 scale per row (absmax, pystory/int8.py); the rest
(biases, LayerNorm gains: 0.6% of the numbers) stays float32. A row is one
output channel of a layer matrix, one token of wte, one position of wpe.

At load time the model gets two copies of nothing: the int8 matrices are
kept as they are for the products (`QuantizedGPT.linear` calls
be.linear_forward_int8, which reads 1 byte per weight), and the float
buffer `params` holds the dequantized values, which only the two embedding
lookups (wte[ids], wpe[t]) read. So the tied output layer and the lookup see
the same weights, as in the float model.

The checkpoint (kind "q8", format of pystory/checkpoint.py) has three sections:
    rest      float32 (P - M,)  the parameters that are not matrices, in buffer order
    q8        int8    (M,)      the matrices, in buffer order, each row-major
    q8scale   float32 (S,)      one scale per row of those matrices, in the same order

Group-wise scales (llama2.c's runq.c uses one scale per 64 values, for
weights and activations alike) are `quantize_groups` below: the lesson
measures per-row against per-group on the shipped model.
"""
from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

from pystory.gpt import BIASES, BLOCK_WEIGHTS, GPT, MATRICES, param_shapes

__all__ = ["q8_sections", "quantize_params", "dequantize_params", "QuantizedGPT", "save_quantized",
           "quantize_groups", "GroupQuantizedGPT", "main"]


def _matrix_rows(cfg):
    """[(name, shape, offset in the flat buffer)] for every parameter, in buffer order."""
    out, off = [], 0
    for name, shape in param_shapes(cfg).items():
        out.append((name, shape, off))
        off += math.prod(shape)
    return out


def q8_sections(header, cfg):
    """The sections an int8 checkpoint of config `cfg` must have (checkpoint.py checks them)."""
    M = S = R = 0
    for name, shape, _ in _matrix_rows(cfg):
        if name in MATRICES:
            M += math.prod(shape)
            S += math.prod(shape[:-1])
        else:
            R += math.prod(shape)
    if header.get("quantization") != SCHEME:
        raise ValueError(f"'quantization' must be {SCHEME!r}")
    return [["rest", "float32", R], ["q8", "int8", M], ["q8scale", "float32", S]]


SCHEME = "int8 absmax, one scale per row"


def quantize_params(params, cfg, be=None):
    """A flat float32 (P,) parameter buffer -> {"rest", "q8", "q8scale"} (NumPy arrays)."""
    import pystory
    be = be or pystory.backend("numpy")
    params = np.asarray(params, np.float32)
    rest, q8, scales = [], [], []
    for name, shape, off in _matrix_rows(cfg):
        v = params[off:off + math.prod(shape)].reshape(shape)
        if name in MATRICES:
            q, s = be.quantize_int8(be.asarray(v))               # (..., C) int8, (...) scales
            q8.append(be.to_numpy(q).reshape(-1))
            scales.append(be.to_numpy(s).reshape(-1))
        else:
            rest.append(v.reshape(-1))
    return {"rest": np.concatenate(rest), "q8": np.concatenate(q8), "q8scale": np.concatenate(scales)}


def _split(sections, cfg):
    """{name: (q (shape) int8, scale (shape[:-1]))} for matrices, {name: float array} for the rest."""
    mats, rest = {}, {}
    qo = so = ro = 0
    for name, shape, _ in _matrix_rows(cfg):
        n = math.prod(shape)
        if name in MATRICES:
            rows = math.prod(shape[:-1])
            mats[name] = (sections["q8"][qo:qo + n].reshape(shape), sections["q8scale"][so:so + rows].reshape(shape[:-1]))
            qo, so = qo + n, so + rows
        else:
            rest[name] = sections["rest"][ro:ro + n].reshape(shape)
            ro += n
    return mats, rest


def dequantize_params(sections, cfg):
    """{"rest", "q8", "q8scale"} -> the flat float32 (P,) buffer, matrices dequantized."""
    from pystory.int8 import dequantize_int8
    mats, rest = _split(sections, cfg)
    parts = []
    for name, shape, _ in _matrix_rows(cfg):
        parts.append((dequantize_int8(*mats[name]) if name in MATRICES else rest[name]).reshape(-1))
    return np.concatenate(parts).astype(np.float32)


class QuantizedGPT(GPT):
    """A GPT whose products with weight matrices run through be.linear_forward_int8.

    Inference only: backward refuses (fine-tune the float model, e.g. with LoRA,
    then quantize again).
    """

    def __init__(self, cfg, be, sections):
        super().__init__(cfg, be)
        mats, _ = _split(sections, cfg)
        self.wq = {name: be.asarray(q) for name, (q, _) in mats.items()}        # (..., C) int8
        self.wscale = {name: be.asarray(s) for name, (_, s) in mats.items()}    # (...) float32
        self.load_params(dequantize_params(sections, cfg))                      # what the lookups read

    def linear(self, x, name, l=None):
        wq = self.wq[name] if l is None else self.wq[name][l]
        scale = self.wscale[name] if l is None else self.wscale[name][l]
        b = None if l is None else self.p[BIASES[name]][l]
        return self.be.linear_forward_int8(x, wq, scale, b)

    def layer_weights_int8(self, l):
        """Layer l's tensors in the order block_decode_int8 takes them: block_decode's, with each
        matrix as its int8 weights and their scales (views)."""
        out = []
        for name in BLOCK_WEIGHTS:
            out += [self.wq[name][l], self.wscale[name][l]] if name in BIASES else [self.p[name][l]]
        return tuple(out)

    def decode_block(self, l):
        """decode_step's block l as one op, be.block_decode_int8, while the products are this
        class's own (a subclass that replaces linear again goes op by op)."""
        if getattr(self.linear, "__func__", None) is not QuantizedGPT.linear:
            return None
        return self.be.block_decode_int8, self.layer_weights_int8(l)

    def linear_backward(self, dout, x, name, l=None):
        raise RuntimeError("QuantizedGPT: an int8 model is for inference; train or fine-tune the float model "
                           "(python -m pystory finetune), then quantize it again")


def save_quantized(path, sections, cfg, *, tokenizer="byte", step=0, train_state=None, source=None):
    """Write an int8 checkpoint (kind "q8"); the tokenizer is a file name in path's folder, or 'byte'."""
    from pystory.checkpoint import save_sections
    arrays = [("rest", sections["rest"].astype(np.float32)), ("q8", sections["q8"].astype(np.int8)),
              ("q8scale", sections["q8scale"].astype(np.float32))]
    for name in ("rest", "q8scale"):
        if not np.isfinite(dict(arrays)[name]).all():
            raise ValueError(f"save_quantized({path}): {name} holds NaN or inf; refusing to save a broken model")
    extra = {"quantization": SCHEME, "source": source or {}}
    return save_sections(path, cfg, arrays, tokenizer=tokenizer, step=step, train_state=train_state,
                         kind="q8", extra=extra)


def load_quantized(ck, be):
    """The QuantizedGPT of a loaded q8 Checkpoint, on backend `be`."""
    from pystory.checkpoint import CheckpointError
    if int(ck.sections["q8"].min(initial=0)) < -127:
        raise CheckpointError(f"{ck.path}: corrupt int8 checkpoint: a weight is -128 (the grid is [-127, 127])")
    if not (ck.sections["q8scale"] >= 0).all():
        raise CheckpointError(f"{ck.path}: corrupt int8 checkpoint: a negative scale")
    return QuantizedGPT(ck.config, be, ck.sections)


# --- group-wise scales (llama2.c's runq.c), for the lesson's comparison ---------------------

def quantize_groups(x, G):
    """Quantize the last axis of x in groups of G values, one absmax scale per group (runq.c's
    scheme): returns the dequantized array, to measure the error a group size costs."""
    C = x.shape[-1]
    if C % G:
        raise ValueError(f"quantize_groups: the last axis ({C}) must be a multiple of the group size {G}")
    from pystory.int8 import dequantize_int8, quantize_int8
    g = x.reshape(x.shape[:-1] + (C // G, G))
    q, s = quantize_int8(g)
    return dequantize_int8(q, s).reshape(x.shape)


class GroupQuantizedGPT(GPT):
    """runq.c's scheme, for the comparison only (NumPy, no C or CUDA): weights AND activations
    quantized in groups of G along C, one absmax scale per group, int32 sums per group:

        out[n, o] = sum_g (xq[n, g, :] . wq[o, g, :]) * sx[n, g] * sw[o, g] + b[o]
    """

    def __init__(self, cfg, be, params, G):
        super().__init__(cfg, be)
        from pystory.int8 import quantize_int8
        self.G = G
        self.load_params(params)
        self.wq = {}
        for name in MATRICES:
            w = be.to_numpy(self.p[name])
            C = w.shape[-1]
            if C % G:
                raise ValueError(f"GroupQuantizedGPT: {name} has C = {C}, not a multiple of G = {G}")
            self.wq[name] = quantize_int8(w.reshape(w.shape[:-1] + (C // G, G)))      # (..., C/G, G), (..., C/G)
        mats = {n: quantize_int8(be.to_numpy(self.p[n]).reshape(self.p[n].shape[:-1] + (-1, G))) for n in MATRICES}
        deq = {n: (q.astype(np.float32) * s[..., None]).reshape(self.p[n].shape) for n, (q, s) in mats.items()}
        for n in ("wte", "wpe"):                     # the lookups read the dequantized rows, as in QuantizedGPT
            self.p[n][...] = deq[n]

    def linear(self, x, name, l=None):
        from pystory.int8 import quantize_int8
        q, s = self.wq[name]
        if l is not None:
            q, s = q[l], s[l]                                            # (OC, C/G, G), (OC, C/G)
        C = x.shape[-1]
        xq, sx = quantize_int8(x.reshape(x.shape[:-1] + (C // self.G, self.G)))   # (..., C/G, G), (..., C/G)
        out = np.zeros(x.shape[:-1] + (q.shape[0],))
        for g in range(C // self.G):                 # one int32 sum per group (exact in float64), then its scales
            acc = xq[..., g, :].astype(np.float64) @ q[:, g, :].astype(np.float64).T     # (..., OC)
            out += acc * sx[..., g, None].astype(np.float64) * s[:, g].astype(np.float64)
        out = out.astype(np.float32)
        if l is not None:
            out = out + self.p[BIASES[name]][l]
        return out

    def scale_count(self):
        return sum(int(s.size) for _, s in self.wq.values())


# --- python -m pystory quantize -----------------------------------------------------------

def quantize_parser():
    from pystory.cli_args import OutFile, Parser, Path
    from pystory.gpt_cli import SHIPPED_MODEL
    p = Parser("python -m pystory quantize",
               description="Store every weight matrix of a float checkpoint as int8, one scale per row.")
    p.add_argument("--model", type=Path("file"), default=SHIPPED_MODEL, help="the float checkpoint")
    p.add_argument("--out", type=OutFile, required=True,
                   help="the int8 checkpoint to write (its tokenizer is copied beside it)")
    return p


def main(argv=None):
    from pystory.cli_args import run
    return run("quantize", _main, sys.argv[1:] if argv is None else argv)


def _main(argv):
    from pystory.gpt_cli import float_model_into
    args = quantize_parser().parse_args(argv)
    t0 = time.perf_counter()
    ck, _, tok_name = float_model_into(args.model, os.path.dirname(os.path.abspath(args.out)), "give a float model")
    sections = quantize_params(ck.params, ck.config)
    # the training history stays with the float model (it is a third of a small file)
    save_quantized(args.out, sections, ck.config, tokenizer=tok_name, step=ck.step,
                   source={"file": os.path.basename(args.model)})
    before, after = os.path.getsize(args.model), os.path.getsize(args.out)
    float32 = 4 * ck.params.size
    err = np.abs(dequantize_params(sections, ck.config) - ck.params)
    print(f"quantized {args.model} ({before:,} bytes) -> {args.out} ({after:,} bytes) in "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"size: {after / float32:.1%} of float32 ({float32:,} bytes), {after / before:.1%} of the input file")
    print(f"weights: max |w - dequant(q)| = {err.max():.2e}, mean {err.mean():.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
