"""Chapter 05: the discriminator — a Kim-style text CNN that scores how real a story looks.

    cfg = DiscConfig(vocab_size=2048)
    D = Discriminator(cfg, pystory.backend("c")).init_weights(seed=0)
    logits = D.forward(ids)                 # ids: (B, T) int32 tokens -> (B,) scores (logits)
    logits = D.forward_soft(y)              # y: (B, T, V) soft tokens (the GAN's generator output)
    D.zero_grad(); dy = D.backward(dlogits) # fills D.grads; returns d loss / d y after forward_soft
    D.update(lr, step)                      # AdamW on the one buffer

The network (Kim 2014, the discriminator of SeqGAN and RelGAN), for a batch
of B stories of T tokens, E embedding channels, F filters per width:

    x      = emb[ids]            or   y @ emb             (B, T, E)   the same table for both
    for each width k in min_width .. max_width:
        h_k = conv1d(x; w_k, b_k)                         (B, T-k+1, F)   F detectors of k tokens
        p_k = max over time of h_k                        (B, F)          "did it fire anywhere?"
    f      = gelu(concat(p_k))                            (B, nW*F)
    logit  = f @ out_w.T + out_b                          (B,)            > 0: "real"

Kim applies a ReLU before the pooling; a monotonic activation commutes with
the max, so applying it after the pooling is the same and costs nW*F values
per story instead of T*nW*F. We use the GELU we already have (chapter 06).

As in the GPT, every parameter lives in one flat float32 buffer (`params`,
with `p[name]` views), mirrored by `grads` and AdamW's `m` and `v`.
Stories shorter than the widest filter are padded with `pad_id` (the
end-of-text token) by `pad`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from pystory.common import flat_views
from pystory.philox import philox_normal

__all__ = ["DiscConfig", "Discriminator", "param_shapes", "num_params", "pad"]


@dataclasses.dataclass(frozen=True)
class DiscConfig:
    vocab_size: int = 2048     # V
    n_embd: int = 32           # E
    n_filters: int = 32        # F, per width
    min_width: int = 2
    max_width: int = 5

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"DiscConfig: {f.name} must be a positive int, got {v!r}")
        if self.min_width > self.max_width:
            raise ValueError(f"DiscConfig: min_width={self.min_width} must be <= max_width={self.max_width}")

    @property
    def widths(self):
        return tuple(range(self.min_width, self.max_width + 1))

    def to_dict(self):
        return dataclasses.asdict(self)


def param_shapes(cfg):
    """{name: shape} in buffer order."""
    V, E, F = cfg.vocab_size, cfg.n_embd, cfg.n_filters
    shapes = {"emb": (V, E)}
    for k in cfg.widths:
        shapes[f"conv{k}_w"] = (F, E, k)
    for k in cfg.widths:
        shapes[f"conv{k}_b"] = (F,)
    shapes["out_w"] = (1, len(cfg.widths) * F)
    shapes["out_b"] = (1,)
    return shapes


def num_params(cfg):
    return sum(math.prod(s) for s in param_shapes(cfg).values())


# A checkpoint of kind "disc" (pystory/checkpoint.py KINDS): a DiscConfig, one flat buffer.

def config_from_header(cfg):
    """The DiscConfig of a disc checkpoint's header (ValueError if it is not one)."""
    from pystory.checkpoint import int_config
    return int_config(DiscConfig, cfg)


def disc_sections(header, cfg):
    """The sections of a disc checkpoint: params [, m, v], num_params(cfg) each."""
    from pystory.checkpoint import flat_sections
    return flat_sections(header, num_params(cfg))


def pad(ids, width, pad_id):
    """ids (B, T) int32, padded on the right with pad_id to at least `width` tokens."""
    ids = np.asarray(ids, np.int32)
    if ids.shape[1] >= width:
        return ids
    out = np.full((ids.shape[0], width), pad_id, np.int32)
    out[:, :ids.shape[1]] = ids
    return out


class Discriminator:
    KIND = "disc"            # what a checkpoint of it says it is (pystory/checkpoint.py)

    def __init__(self, cfg, be, dtype=np.float32):
        self.cfg, self.be, self.xp = cfg, be, be.xp
        P = num_params(cfg)
        xp = self.xp
        self.params = xp.zeros(P, dtype)
        self.grads = xp.zeros(P, dtype)
        self.m = xp.zeros(P, dtype)
        self.v = xp.zeros(P, dtype)
        self.p = flat_views(self.params, param_shapes(cfg))
        self.g = flat_views(self.grads, param_shapes(cfg))
        # weight decay on the matrices (the embedding, the filters, the output row), not the biases
        shapes = param_shapes(cfg)
        mask = np.concatenate([np.full(math.prod(s), not name.endswith("_b"), np.uint8)
                               for name, s in shapes.items()])
        self.decay_mask = be.asarray(mask)
        self.acts = None
        self._zero_e = xp.zeros(cfg.n_embd, dtype)

    @property
    def num_params(self):
        return int(self.params.size)

    def init_weights(self, seed=0):
        """emb ~ N(0, 0.1); filters ~ N(0, 1/sqrt(E*k)) (unit-variance responses); out_w ~ N(0, 1/sqrt(nW*F));
        biases 0. Drawn from Philox: the same network on every machine."""
        cfg = self.cfg
        host = np.zeros(self.num_params, np.float32)
        views, offset = flat_views(host, param_shapes(cfg)), 0
        for name, view in views.items():
            if name.endswith("_b"):
                continue
            if name == "emb":
                std = 0.1
            elif name == "out_w":
                std = 1.0 / math.sqrt(view.shape[1])
            else:
                std = 1.0 / math.sqrt(view.shape[1] * view.shape[2])
            view[...] = (philox_normal(seed, offset, view.size) * np.float32(std)).reshape(view.shape)
            offset += view.size
        self.load_params(host)
        return self

    def load_params(self, host):
        host = np.asarray(host)
        if host.shape != (self.num_params,):
            raise ValueError(f"Discriminator.load_params: expected {self.num_params} parameters, got {host.shape}")
        self.params[...] = self.be.asarray(host.astype(self.params.dtype))

    # --- forward -----------------------------------------------------------------------

    def forward(self, ids):
        """ids: (B, T) int32 tokens (T >= max_width) -> logits (B,)."""
        be, p = self.be, self.p
        x = be.embedding_forward(ids, p["emb"])                                    # (B, T, E)
        return self._body(x, dict(ids=ids, y=None))

    def forward_soft(self, y):
        """y: (B, T, V) soft tokens (rows summing to 1; a one-hot row is a real token) -> logits (B,)."""
        be, p = self.be, self.p
        emb_t = self.xp.ascontiguousarray(p["emb"].T)                             # (E, V)
        x = be.linear_forward(y, emb_t, self._zero_e)                             # (B, T, E) = y @ emb
        return self._body(x, dict(ids=None, y=y, emb_t=emb_t))

    def _body(self, x, acts):
        be, xp, p = self.be, self.xp, self.p
        B, T = x.shape[:2]
        if T < self.cfg.max_width:
            raise ValueError(f"Discriminator: stories of {T} tokens are shorter than the widest filter "
                             f"({self.cfg.max_width}); pad them (pystory.disc.pad)")
        pools, layers = [], []
        for k in self.cfg.widths:
            h, cache = be.conv1d_forward(x, p[f"conv{k}_w"], p[f"conv{k}_b"])       # (B, T-k+1, F)
            pooled, argmax = be.maxpool_time_forward(h)                          # (B, F)
            pools.append(pooled)
            layers.append((cache, argmax, T - k + 1))
        feat = xp.ascontiguousarray(xp.concatenate(pools, axis=1))               # (B, nW*F)
        a = be.gelu_forward(feat)
        logits = be.linear_forward(a, p["out_w"], p["out_b"]).reshape(B)         # (B,)
        acts.update(x=x, layers=layers, feat=feat, a=a, T=T)
        self.acts = acts
        return logits

    # --- backward ----------------------------------------------------------------------

    def zero_grad(self):
        self.grads[...] = 0

    def backward(self, dlogits):
        """dlogits: (B,) d loss / d logits of the last forward. Adds d loss / d params to self.grads;
        after forward_soft returns d loss / d y (B, T, V), else None."""
        if self.acts is None:
            raise RuntimeError("Discriminator.backward: call forward first")
        be, xp, p, g, acts = self.be, self.xp, self.p, self.g, self.acts
        B = dlogits.shape[0]
        F = self.cfg.n_filters
        da, dw, db = be.linear_backward(xp.ascontiguousarray(dlogits.reshape(B, 1)), acts["a"], p["out_w"])
        g["out_w"][...] += dw
        g["out_b"][...] += db
        dfeat = be.gelu_backward(da, acts["feat"])                                # (B, nW*F)
        dx = xp.zeros_like(acts["x"])
        for j, (k, (cache, argmax, Tk)) in enumerate(zip(self.cfg.widths, acts["layers"])):
            dpool = xp.ascontiguousarray(dfeat[:, j * F:(j + 1) * F])
            dh = be.maxpool_time_backward(dpool, argmax, Tk)                      # (B, T-k+1, F)
            dxk, dw, db = be.conv1d_backward(dh, cache)
            g[f"conv{k}_w"][...] += dw
            g[f"conv{k}_b"][...] += db
            dx = be.residual_forward(dx, dxk)                                     # the widths share x
        if acts["y"] is None:
            g["emb"][...] += be.embedding_backward(acts["ids"], dx, self.cfg.vocab_size)
            return None
        dy, demb_t, _ = be.linear_backward(dx, acts["y"], acts["emb_t"])         # dy: (B, T, V)
        g["emb"][...] += demb_t.T
        return dy

    # --- optimizer ---------------------------------------------------------------------

    def update(self, lr, step, beta1=0.5, beta2=0.999, eps=1e-8, weight_decay=0.0):
        """One AdamW step (step counts from 1); GANs use beta1 = 0.5 (Radford et al. 2016)."""
        self.be.adamw_update(self.params, self.grads, self.m, self.v, step, lr, beta1, beta2, eps,
                             weight_decay, self.decay_mask)
