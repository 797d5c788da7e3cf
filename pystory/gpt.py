"""Chapter 06: a GPT-2 style language model, written once against a backend.

    cfg = GPTConfig(vocab_size=257, block_size=128, n_layer=4, n_head=4, n_embd=128)
    model = GPT(cfg, pystory.backend("c"))
    model.init_weights(seed=0)
    logits, loss = model.forward(ids, targets)      # ids, targets: (B, T) int32
    model.zero_grad(); model.backward()             # fills model.grads
    model.update(lr=1e-3, step=1)                   # AdamW on the one buffer

The whole network, shapes for a batch of B sequences of T tokens, C channels,
L layers, NH heads, V tokens in the vocabulary:

    x = wte[ids] + wpe[:T]                                 (B, T, C)   encoder
    repeat L times (one "block", pre-LayerNorm as in GPT-2):
        h    = layernorm(x; ln1w, ln1b)                    (B, T, C)
        qkv  = h @ qkvw.T + qkvb                           (B, T, 3C)
        a    = causal_attention(qkv, NH)                   (B, T, C)
        x    = x + a @ attprojw.T + attprojb               (B, T, C)   residual
        h    = layernorm(x; ln2w, ln2b)
        f    = gelu(h @ fcw.T + fcb)                       (B, T, 4C)  MLP
        x    = x + f @ fcprojw.T + fcprojb                 (B, T, C)   residual
    h      = layernorm(x; lnfw, lnfb)                      (B, T, C)
    logits = h @ wte.T                                     (B, T, V)   tied weights
    loss   = mean cross-entropy(logits, targets)

Every number the model learns lives in ONE contiguous float32 buffer,
`model.params`, and `model.p[name]` are views into it (llm.c's layout):
the gradients (`model.grads`, `model.g[name]`) and AdamW's two moments mirror
it, so the optimizer is one call over four flat arrays. The order of the
tensors is PARAM_NAMES below; per-layer tensors are stacked on a leading L axis.

The model only ever calls backend ops (`be.linear_forward`, ...), so the same
code trains on numpy, c, cuda or emu. Array glue (slicing, reshaping, copying
a gradient into its view) uses `be.xp`, which is NumPy or CuPy.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from pystory.common import flat_views
from pystory.philox import philox_normal

__all__ = ["GPTConfig", "PRESETS", "PARAM_NAMES", "param_shapes", "num_params", "GPT", "KVCache"]


@dataclasses.dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 257      # V: token ids are in [0, V)
    block_size: int = 128      # T_max: the longest context (rows of wpe)
    n_layer: int = 4           # L
    n_head: int = 4            # NH; head size hs = C / NH
    n_embd: int = 128          # C

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"GPTConfig: {f.name} must be a positive int, got {v!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_head={self.n_head} must divide n_embd={self.n_embd}")

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: int(v) for k, v in d.items() if k in names})


# Named presets for `python -m pystory train --config NAME` (vocab comes from the tokenizer).
PRESETS = {
    "tiny":  dict(block_size=64, n_layer=2, n_head=2, n_embd=64),      # seconds: tests, smoke runs
    "small": dict(block_size=128, n_layer=4, n_head=4, n_embd=128),    # the shipped model's size class
    "4m":    dict(block_size=256, n_layer=4, n_head=4, n_embd=256),    # ~4M params with V=4096 (the benchmark)
    "gpt2":  dict(block_size=1024, n_layer=12, n_head=12, n_embd=768), # GPT-2 small: needs a GPU
}

# Weight decay applies to matrices only (GPT-2, llm.c): not to biases or LayerNorm gains.
# The matrices come first in the buffer, so "the decayed parameters" is one prefix
# of it: params[:n_decay].
MATRICES = ("wte", "wpe", "qkvw", "attprojw", "fcw", "fcprojw")
PARAM_NAMES = MATRICES + ("ln1w", "ln1b", "qkvb", "attprojb", "ln2w", "ln2b", "fcb", "fcprojb", "lnfw", "lnfb")

# The bias of each layer matrix (the output layer, wte, has none).
BIASES = {"qkvw": "qkvb", "attprojw": "attprojb", "fcw": "fcb", "fcprojw": "fcprojb"}

# One layer's tensors in the order its block uses them: block_decode's weight arguments
# (block_decode_int8 takes each matrix as two: int8 weights and their scales).
BLOCK_WEIGHTS = ("ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
                 "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb")


def param_shapes(cfg):
    """{name: shape} in buffer order."""
    V, T, L, C = cfg.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_embd
    shapes = {
        "wte": (V, C), "wpe": (T, C),
        "qkvw": (L, 3 * C, C), "attprojw": (L, C, C), "fcw": (L, 4 * C, C), "fcprojw": (L, C, 4 * C),
        "ln1w": (L, C), "ln1b": (L, C), "qkvb": (L, 3 * C), "attprojb": (L, C),
        "ln2w": (L, C), "ln2b": (L, C), "fcb": (L, 4 * C), "fcprojb": (L, C),
        "lnfw": (C,), "lnfb": (C,),
    }
    return {name: shapes[name] for name in PARAM_NAMES}


def num_params(cfg):
    return sum(math.prod(s) for s in param_shapes(cfg).values())


class KVCache:
    """Keys and values of the tokens seen so far, per layer: (B, T_max, C) each.

    Incremental decoding computes q, k, v for the new token only, appends k
    and v here, and attends over positions [0, n) with be.attention_decode.
    """

    def __init__(self, cfg, be, B=1):
        shape = (cfg.n_layer, B, cfg.block_size, cfg.n_embd)
        self.k = be.xp.zeros(shape, np.float32)
        self.v = be.xp.zeros(shape, np.float32)
        self.n = 0          # positions filled


class GPT:
    def __init__(self, cfg, be, dtype=np.float32):
        self.cfg, self.be, self.xp = cfg, be, be.xp
        P = num_params(cfg)
        xp = self.xp
        self.params = xp.zeros(P, dtype)    # (P,): every parameter, one buffer
        self.grads = xp.zeros(P, dtype)     # (P,): d loss / d params, same layout
        self.m = xp.zeros(P, dtype)         # AdamW first moment
        self.v = xp.zeros(P, dtype)         # AdamW second moment
        self.p = flat_views(self.params, param_shapes(cfg))
        self.g = flat_views(self.grads, param_shapes(cfg))
        shapes = param_shapes(cfg)
        self.n_decay = sum(math.prod(shapes[name]) for name in MATRICES)   # params[:n_decay] decay
        self.acts = None                    # what forward saved for backward
        # The output layer has no bias (tied to wte); the linear op still wants one.
        self._zero_bias = xp.zeros(cfg.vocab_size, dtype)

    @property
    def num_params(self):
        return int(self.params.size)

    # --- initialization ---------------------------------------------------------------

    def init_weights(self, seed=0):
        """GPT-2's initialization, drawn from Philox so it is the same on every machine.

        Matrices ~ N(0, 0.02); the two projections that write into the residual
        stream (attprojw, fcprojw) ~ N(0, 0.02 / sqrt(2L)), so the sum of 2L
        residual contributions keeps the scale of one; LayerNorm gains 1,
        every bias 0.
        """
        cfg = self.cfg
        host = np.zeros(self.num_params, np.float32)
        views, offset = flat_views(host, param_shapes(cfg)), 0
        for name, view in views.items():
            if name in MATRICES:
                std = 0.02 / math.sqrt(2 * cfg.n_layer) if name in ("attprojw", "fcprojw") else 0.02
                view[...] = (philox_normal(seed, offset, view.size) * np.float32(std)).reshape(view.shape)
                offset += view.size
            elif name in ("ln1w", "ln2w", "lnfw"):
                view[...] = 1.0
        self.load_params(host)
        return self

    def load_params(self, host):
        """Copy a flat (P,) array (NumPy, any float dtype) into the buffer."""
        host = np.asarray(host)
        if host.shape != (self.num_params,):
            raise ValueError(f"GPT.load_params: expected {self.num_params} parameters, got {host.shape}")
        self.params[...] = self.be.asarray(host.astype(self.params.dtype))

    # --- the products with a weight matrix ----------------------------------------------
    # Every x @ W.T + b of the model goes through these two methods, so chapter 07 can
    # change how they run without touching forward or backward: int8 weights
    # (pystory/quantize.py) and LoRA adapters (pystory/lora.py) override them.

    def linear(self, x, name, l=None):
        """x @ W.T + b for matrix `name` (of layer l); the output layer is wte (tied, no bias)."""
        w = self.p[name] if l is None else self.p[name][l]
        b = self._zero_bias if l is None else self.p[BIASES[name]][l]
        return self.be.linear_forward(x, w, b)

    def linear_backward(self, dout, x, name, l=None):
        """The backward of linear(x, name, l): adds dW (and db) into self.g, returns dx."""
        w = self.p[name] if l is None else self.p[name][l]
        dx, dw, db = self.be.linear_backward(dout, x, w)
        gw = self.g[name] if l is None else self.g[name][l]
        gw += dw                                    # a view: adds into the gradient buffer
        if l is not None:
            gb = self.g[BIASES[name]][l]
            gb += db
        return dx

    # --- forward ----------------------------------------------------------------------

    def forward(self, ids, targets=None, kv=None, embeddings=None):
        """ids: (B, T) int32 -> logits (B, T, V), and the mean loss (a float) if targets given.

        With `kv` (a KVCache with kv.n == 0), also stores every layer's keys and
        values for incremental decoding (the "prefill").

        Embeddings in (chapter 05): with ids=None and `embeddings` (B, T, C), the
        input vectors themselves, positions included, replace wte[ids] + wpe[:T].
        The GAN feeds its generator soft tokens this way (y @ wte + wpe); backward()
        then returns d loss / d embeddings instead of adding the encoder's gradient.
        """
        be, xp, cfg, p = self.be, self.xp, self.cfg, self.p
        if embeddings is None:
            ids = be.asarray(np.asarray(ids, np.int32)) if isinstance(ids, (list, tuple)) else ids
            B, T = ids.shape
        else:
            B, T = embeddings.shape[:2]
        C, NH = cfg.n_embd, cfg.n_head
        if T > cfg.block_size:
            raise ValueError(f"GPT.forward: sequence length {T} exceeds block_size {cfg.block_size}")
        x = be.encoder_forward(ids, p["wte"], p["wpe"]) if embeddings is None else embeddings   # (B, T, C)
        layers = []
        for l in range(cfg.n_layer):
            a = {"x": x}
            a["ln1"], a["ln1_mean"], a["ln1_rstd"] = be.layernorm_forward(x, p["ln1w"][l], p["ln1b"][l])
            a["qkv"] = self.linear(a["ln1"], "qkvw", l)                                   # (B, T, 3C)
            if kv is not None:
                kv.k[l, :, :T] = a["qkv"][:, :, C:2 * C]
                kv.v[l, :, :T] = a["qkv"][:, :, 2 * C:]
            a["atty"], a["att_cache"] = be.attention_forward_flash(a["qkv"], NH)         # (B, T, C)
            attproj = self.linear(a["atty"], "attprojw", l)
            a["x2"] = be.residual_forward(x, attproj)                                    # (B, T, C)
            a["ln2"], a["ln2_mean"], a["ln2_rstd"] = be.layernorm_forward(a["x2"], p["ln2w"][l], p["ln2b"][l])
            a["fch"] = self.linear(a["ln2"], "fcw", l)                                    # (B, T, 4C)
            a["fch_gelu"] = be.gelu_forward(a["fch"])
            fcproj = self.linear(a["fch_gelu"], "fcprojw", l)                             # (B, T, C)
            x = be.residual_forward(a["x2"], fcproj)
            layers.append(a)
        lnf, lnf_mean, lnf_rstd = be.layernorm_forward(x, p["lnfw"], p["lnfb"])          # (B, T, C)
        logits = self.linear(lnf, "wte")                                                 # (B, T, V)
        if kv is not None:
            kv.n = T
        self.acts = dict(ids=ids if embeddings is None else None, layers=layers, x=x, lnf=lnf,
                         lnf_mean=lnf_mean, lnf_rstd=lnf_rstd)
        if targets is None:
            self.acts["dlogits"] = None
            return logits, None
        V = cfg.vocab_size
        losses, dlogits = be.crossentropy_fused(logits.reshape(B * T, V), targets.reshape(B * T))
        self.acts["dlogits"] = dlogits.reshape(B, T, V)                # d mean loss / d logits
        return logits, float(losses.astype(np.float64).mean())

    # --- backward ---------------------------------------------------------------------

    def zero_grad(self):
        self.grads[...] = 0

    def backward(self, dlogits=None):
        """Add d loss / d params for the last forward (run with targets) to self.grads.

        `dlogits` (B, T, V) (chapter 05): an upstream gradient to use instead of
        the cross-entropy's; the forward then needs no targets. After a forward
        with embeddings in, returns d loss / d embeddings (B, T, C)."""
        if self.acts is None or (dlogits is None and self.acts.get("dlogits") is None):
            raise RuntimeError("GPT.backward: call forward(ids, targets) first")
        be, cfg, p, g, acts = self.be, self.cfg, self.p, self.g, self.acts
        # logits = lnf @ wte.T: wte gets a gradient here AND from the encoder (tied weights)
        dlogits = acts["dlogits"] if dlogits is None else dlogits
        dlnf = self.linear_backward(dlogits, acts["lnf"], "wte")
        dx, dw, db = be.layernorm_backward(dlnf, acts["x"], p["lnfw"], acts["lnf_mean"], acts["lnf_rstd"])
        g["lnfw"][...] += dw
        g["lnfb"][...] += db
        for l in reversed(range(cfg.n_layer)):
            a = acts["layers"][l]
            # x = x2 + fcproj: the gradient reaches both unchanged (residual)
            dx2 = dfcproj = dx                            # read-only from here on
            dfch_gelu = self.linear_backward(dfcproj, a["fch_gelu"], "fcprojw", l)
            dfch = be.gelu_backward(dfch_gelu, a["fch"])
            dln2 = self.linear_backward(dfch, a["ln2"], "fcw", l)
            dx2b, dw, db = be.layernorm_backward(dln2, a["x2"], p["ln2w"][l], a["ln2_mean"], a["ln2_rstd"])
            g["ln2w"][l] += dw
            g["ln2b"][l] += db
            dx2 = be.residual_forward(dx2, dx2b)          # two paths into x2: add their gradients
            # x2 = x + attproj
            datty = self.linear_backward(dx2, a["atty"], "attprojw", l)
            dqkv = be.attention_backward_flash(datty, a["att_cache"])
            dln1 = self.linear_backward(dqkv, a["ln1"], "qkvw", l)
            dxb, dw, db = be.layernorm_backward(dln1, a["x"], p["ln1w"][l], a["ln1_mean"], a["ln1_rstd"])
            g["ln1w"][l] += dw
            g["ln1b"][l] += db
            dx = be.residual_forward(dx2, dxb)
        if acts["ids"] is None:
            return dx                                     # embeddings in: their gradient goes back
        dwte, dwpe = be.encoder_backward(acts["ids"], dx, cfg.vocab_size, cfg.block_size)
        g["wte"][...] += dwte
        g["wpe"][...] += dwpe

    # --- optimizer --------------------------------------------------------------------

    def update(self, lr, step, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1):
        """One AdamW step (step counts from 1) over the whole buffer.

        Two calls over two contiguous slices of the one buffer: the matrices
        (params[:n_decay], with weight decay) and the rest (without). The
        slices are views, so the op updates the buffer in place.
        """
        D, be = self.n_decay, self.be
        for s, wd in ((slice(0, D), weight_decay), (slice(D, None), 0.0)):
            be.adamw_update(self.params[s], self.grads[s], self.m[s], self.v[s], step, lr,
                            beta1, beta2, eps, wd)

    # --- incremental decoding ---------------------------------------------------------

    def new_kv_cache(self, B=1):
        return KVCache(self.cfg, self.be, B)

    def block_decode_ops(self, x, l, kv, t):
        """Block l for the one new position t, op by op: x (B, C) -> x (B, C).

        The block of forward() for one row per sequence. Its k and v join the
        cache at row t, and the attention reads rows 0 .. t of it instead of
        recomputing them. be.block_decode computes exactly this in one call.
        """
        be, p, C = self.be, self.p, self.cfg.n_embd
        h, _, _ = be.layernorm_forward(x, p["ln1w"][l], p["ln1b"][l])
        qkv = self.linear(h, "qkvw", l)                                                 # (B, 3C)
        kv.k[l, :, t] = qkv[:, C:2 * C]
        kv.v[l, :, t] = qkv[:, 2 * C:]
        q = self.xp.ascontiguousarray(qkv[:, :C])                                        # (B, C)
        atty = be.attention_decode(q, kv.k[l], kv.v[l], self.cfg.n_head, t + 1)          # (B, C)
        x = be.residual_forward(x, self.linear(atty, "attprojw", l))
        h, _, _ = be.layernorm_forward(x, p["ln2w"][l], p["ln2b"][l])
        f = be.gelu_forward(self.linear(h, "fcw", l))                                   # (B, 4C)
        return be.residual_forward(x, self.linear(f, "fcprojw", l))

    def layer_weights(self, l):
        """Layer l's tensors in the order block_decode takes them (views into self.params)."""
        return tuple(self.p[name][l] for name in BLOCK_WEIGHTS)

    def decode_block(self, l):
        """Block l of decode_step as ONE op: (op, layer l's weights for it), or None to run the
        block op by op (block_decode_ops). GPT's own products: be.block_decode. A model that
        replaces self.linear gets None (LoRA, chapter 07) unless it says here which op computes
        its block (QuantizedGPT: be.block_decode_int8)."""
        if getattr(self.linear, "__func__", None) is not GPT.linear:
            return None
        return self.be.block_decode, self.layer_weights(l)

    def decode_step(self, ids, kv, embeddings=None):
        """ids: (B,) int32, the token at position kv.n -> logits (B, V), using and extending kv.

        The same arithmetic as forward() for one position, but the attention
        reads the cached keys and values instead of recomputing them: O(T C)
        work per token instead of O(T^2 C) for a full forward. With ids=None and
        `embeddings` (B, 1, C), that input vector (position included) instead.

        Each block is block_decode_ops, eleven op calls; when the model has an
        op for its whole block (decode_block: be.block_decode for GPT's own
        products, be.block_decode_int8 for chapter 07's int8 model), the same
        block runs as ONE op: per token that saves ten trips per layer through
        Python and the op checker. LoRA's products have no such op.
        """
        be, cfg, p = self.be, self.cfg, self.p
        C, NH, t = cfg.n_embd, cfg.n_head, kv.n
        if t >= cfg.block_size:
            raise ValueError(f"GPT.decode_step: the KV cache is full ({t} = block_size positions)")
        if embeddings is None:
            B = ids.shape[0]
            x = be.encoder_forward(ids.reshape(B, 1), p["wte"], p["wpe"][t:t + 1]).reshape(B, C)   # (B, C)
        else:
            B = embeddings.shape[0]
            if embeddings.shape != (B, 1, C):
                raise ValueError(f"GPT.decode_step: embeddings must have shape (B, 1, C) = ({B}, 1, {C}), "
                                 f"got {tuple(embeddings.shape)}")
            x = embeddings.reshape(B, C)
        for l in range(cfg.n_layer):
            block = self.decode_block(l)
            if block is not None:       # the block in one call (one C call on c)
                op, weights = block
                x = op(x, *weights, kv.k[l], kv.v[l], NH, t)
            else:                       # e.g. LoRA's products (chapter 07): op by op, through self.linear
                x = self.block_decode_ops(x, l, kv, t)
        kv.n = t + 1
        h, _, _ = be.layernorm_forward(x, p["lnfw"], p["lnfb"])
        return self.linear(h, "wte")                                                    # (B, V)
