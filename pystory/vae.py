"""Chapter 04: a sentence VAE (Bowman et al. 2016), written once against a backend.

    cfg = VAEConfig(vocab_size=2048, n_embd=64, n_hidden=192, n_latent=32)
    model = VAE(cfg, pystory.backend("c")).init_weights(seed=0)
    out = model.forward(batch, seed=1, offset=0)        # a batch of pystory/data/sentences.py
    model.zero_grad(); model.backward(beta=0.5, free_bits=0.0)
    model.update(lr=1e-3, step=1)                       # Adam on the one buffer

The network, for B sentences of at most L tokens, E embedding channels, H
hidden units, Z latent dimensions, V token ids:

    encoder   e      = enc_wte[enc]                       (B, L, E)     embedding_forward
              hs     = GRU_enc(e, h0 = 0)                 (B, L, H)     gru_forward
              h      = hs[b, enc_len[b] - 1]              (B, H)        the state after the last word
              mu, logvar = h @ enc_w_stats.T + b          (B, Z) each   linear_forward (2Z outputs)
    the code  z      = mu + exp(logvar / 2) * eps         (B, Z)        reparameterize_forward
              kl     = KL(q(z | x) || N(0, I))            (B, Z)        gaussian_kl_forward
    decoder   h0     = z @ dec_w_z.T + dec_b_z            (B, H)        the code sets the first state ...
              x      = [dec_wte[dec_in], z]               (B, L+1, E+Z) ... and every step sees it too
              ds     = GRU_dec(x, h0)                     (B, L+1, H)
              logits = ds[valid] @ out_w.T + out_b        (N, V)        only the N real positions
              rec    = cross-entropy(logits, targets)     (N,)          crossentropy_fused

and the loss of a batch (per sentence, in nats) is rec + beta * KL, with rec
summed over a sentence's tokens and KL over its Z dimensions; beta is the
KL weight of the annealing schedule (pystory/vae_train.py). The decoder's
inputs may have words replaced by UNK (word dropout), so it must lean on z.

n_latent = 0 is the same decoder with no encoder and no code: a GRU language
model of the same size (h0 = dec_b_z, learned), the baseline every VAE row is
compared with.

Every parameter lives in ONE float32 buffer with named views (`model.p`),
like the GPT of chapter 06; the gradients and Adam's moments mirror it. The
encoder's tensors come first, so "the decoder" is a suffix of the buffer:
resetting it (Li et al. 2019) or counting it is one slice. Array glue
(gathering the last states, concatenating z to every input, scattering
gradients back) uses `be.xp`, NumPy or CuPy; every computation is a backend op.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from pystory.common import flat_views
from pystory.philox import philox_normal, philox_uniform

__all__ = ["VAEConfig", "VAE", "param_shapes", "num_params", "config_from_header", "vae_sections", "ENCODER", "PRESETS"]

LOG_2PI = math.log(2 * math.pi)


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    vocab_size: int = 2048     # V: the tokenizer's ids; the decoder adds one more, UNK = V
    n_embd: int = 64           # E: embedding channels (encoder and decoder each have a table)
    n_hidden: int = 192        # H: GRU state size (encoder and decoder)
    n_latent: int = 32         # Z: latent dimensions; 0 = a GRU language model

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            lo = 0 if f.name == "n_latent" else 2 if f.name == "vocab_size" else 1
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"VAEConfig: {f.name} must be an int >= {lo}, got {v!r}")

    @property
    def unk_id(self):
        return self.vocab_size

    @property
    def is_lm(self):
        return self.n_latent == 0

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: int(v) for k, v in d.items() if k in names})


# Named sizes for `python -m pystory vae train --config NAME` (vocab comes from the tokenizer).
PRESETS = {
    "tiny":  dict(n_embd=16, n_hidden=32, n_latent=8),       # seconds: tests, smoke runs
    "small": dict(n_embd=64, n_hidden=192, n_latent=32),     # the shipped model and the ablation
}

ENCODER = ("enc_wte", "enc_w_ih", "enc_w_hh", "enc_b_ih", "enc_b_hh", "enc_w_stats", "enc_b_stats")
DECODER = ("dec_wte", "dec_w_z", "dec_b_z", "dec_w_ih", "dec_w_hh", "dec_b_ih", "dec_b_hh", "out_w", "out_b")


def param_shapes(cfg):
    """{name: shape} in buffer order: the encoder (none for a language model), then the decoder."""
    V, E, H, Z = cfg.vocab_size, cfg.n_embd, cfg.n_hidden, cfg.n_latent
    shapes = {}
    if Z:
        shapes.update(enc_wte=(V, E), enc_w_ih=(3 * H, E), enc_w_hh=(3 * H, H), enc_b_ih=(3 * H,),
                      enc_b_hh=(3 * H,), enc_w_stats=(2 * Z, H), enc_b_stats=(2 * Z,))
    shapes.update(dec_wte=(V + 1, E), dec_w_z=(H, Z), dec_b_z=(H,), dec_w_ih=(3 * H, E + Z),
                  dec_w_hh=(3 * H, H), dec_b_ih=(3 * H,), dec_b_hh=(3 * H,), out_w=(V, H), out_b=(V,))
    return shapes


def num_params(cfg):
    return sum(math.prod(s) for s in param_shapes(cfg).values())


# --- what a checkpoint of kind "vae" holds (pystory/checkpoint.py's KINDS calls these to check a header) ---

def config_from_header(cfg):
    """A header's "config" -> VAEConfig: exactly its fields, integers (n_latent may be 0), then its own rules."""
    from pystory.checkpoint import int_config
    return int_config(VAEConfig, cfg, lo=0)


def vae_sections(header, cfg):
    """The sections a VAE checkpoint of config cfg must have: params (float32, or float16 as shipped),
    then Adam's m and v (float32) in a training checkpoint."""
    from pystory.checkpoint import flat_sections
    return flat_sections(header, num_params(cfg))


GRU_TENSORS = ("w_ih", "w_hh", "b_ih", "b_hh")


def _init_scale(name, shape, H):
    """How tensor `name` starts: ("normal", std) or ("uniform", k) for U(-k, k).

    Embeddings N(0, 0.1): small inputs keep the gates out of saturation at the
    start. The GRUs' weights and biases U(-1/sqrt(H), 1/sqrt(H)), torch.nn.GRU's
    default. The linear layers' weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)), their
    biases U(-1, 1) (wider than torch's default, which scales them like the weights)."""
    if name.endswith("wte"):
        return "normal", 0.1
    if name.split("_", 1)[1] in GRU_TENSORS:
        return "uniform", 1 / math.sqrt(H)
    if len(shape) == 2:
        return "uniform", 1 / math.sqrt(max(shape[1], 1))
    return "uniform", 1.0


class VAE:
    KIND = "vae"                 # the checkpoint kind of this model (pystory/checkpoint.py KINDS)

    def __init__(self, cfg, be, dtype=np.float32):
        self.cfg, self.be, self.xp, self.dtype = cfg, be, be.xp, np.dtype(dtype)
        shapes = param_shapes(cfg)
        P = num_params(cfg)
        xp = self.xp
        self.params = xp.zeros(P, dtype)    # (P,): every parameter, one buffer
        self.grads = xp.zeros(P, dtype)
        self.m = xp.zeros(P, dtype)         # Adam's first moment
        self.v = xp.zeros(P, dtype)         # Adam's second moment
        self.p = flat_views(self.params, param_shapes(cfg))
        self.g = flat_views(self.grads, param_shapes(cfg))
        self.n_encoder = sum(math.prod(shapes[n]) for n in ENCODER if n in shapes)   # params[:n_encoder]
        self.acts = None

    @property
    def num_params(self):
        return int(self.params.size)

    # --- initialization ------------------------------------------------------------------

    def _init(self, names, seed):
        """Draw the tensors `names` from Philox (seed), the same on every machine."""
        host = self.be.to_numpy(self.params).copy()
        views, offset = flat_views(host, param_shapes(self.cfg)), 0
        for name in names:
            view = views[name]
            kind, k = _init_scale(name, view.shape, self.cfg.n_hidden)
            n = view.size
            if kind == "normal":
                view[...] = (philox_normal(seed, offset, n) * np.float32(k)).reshape(view.shape)
            else:
                view[...] = ((philox_uniform(seed, offset, n) * 2 - 1) * np.float32(k)).reshape(view.shape)
            offset += n
        self.load_params(host)

    def init_weights(self, seed=0):
        self._init(list(param_shapes(self.cfg)), seed)
        return self

    def reset_decoder(self, seed):
        """Li et al. (2019): new random decoder weights (and fresh Adam moments for them),
        keeping the encoder, e.g. after autoencoder pre-training."""
        self._init(DECODER, seed)
        E = self.n_encoder
        self.m[E:] = 0
        self.v[E:] = 0

    def load_params(self, host):
        host = np.asarray(host)
        if host.shape != (self.num_params,):
            raise ValueError(f"VAE.load_params: expected {self.num_params} parameters, got {host.shape}")
        self.params[...] = self.be.asarray(host.astype(self.params.dtype))

    # --- the encoder -----------------------------------------------------------------------

    def encode(self, enc, enc_len, keep=False):
        """enc (B, L) int32, enc_len (B,) -> mu, logvar: (B, Z) (and the activations if keep)."""
        be, xp, p, cfg = self.be, self.xp, self.p, self.cfg
        B = enc.shape[0]
        H, Z = cfg.n_hidden, cfg.n_latent
        e = be.embedding_forward(enc, p["enc_wte"])                                   # (B, L, E)
        hs, cache = be.gru_forward(e, xp.zeros((B, H), self.dtype), p["enc_w_ih"], p["enc_w_hh"],
                                   p["enc_b_ih"], p["enc_b_hh"])                      # (B, L, H)
        last = xp.asarray(np.asarray(enc_len) - 1)
        h = xp.ascontiguousarray(hs[xp.arange(B), last])                              # (B, H)
        stats = be.linear_forward(h, p["enc_w_stats"], p["enc_b_stats"])              # (B, 2Z)
        mu = xp.ascontiguousarray(stats[:, :Z])
        logvar = xp.ascontiguousarray(stats[:, Z:])
        if keep:
            return mu, logvar, dict(enc=enc, last=last, cache=cache, h=h)
        return mu, logvar

    # --- the decoder -----------------------------------------------------------------------

    def initial_state(self, z):
        """z (B, Z) -> the decoder's first state (B, H); a language model's is learned (dec_b_z)."""
        return self.be.linear_forward(z, self.p["dec_w_z"], self.p["dec_b_z"])

    def decoder_inputs(self, dec_in, z):
        """dec_in (B, T) int32, z (B, Z) -> (B, T, E+Z): every step reads its token and z."""
        xp = self.xp
        emb = self.be.embedding_forward(dec_in, self.p["dec_wte"])                    # (B, T, E)
        B, T = dec_in.shape
        zs = xp.broadcast_to(z[:, None, :], (B, T, z.shape[1]))
        return xp.ascontiguousarray(xp.concatenate([emb, zs], axis=2))

    def decode(self, dec_in, z, h0=None):
        """Teacher-forced decoder states (B, T, H) for inputs dec_in and codes z, and its cache."""
        p = self.p
        h0 = self.initial_state(z) if h0 is None else h0
        return self.be.gru_forward(self.decoder_inputs(dec_in, z), h0, p["dec_w_ih"], p["dec_w_hh"],
                                   p["dec_b_ih"], p["dec_b_hh"])

    def logits(self, states):
        """(N, H) decoder states -> (N, V) next-token scores."""
        return self.be.linear_forward(states, self.p["out_w"], self.p["out_b"])

    def token_losses(self, batch, z, dec_in=None, keep=False):
        """-log p(token) for every real position of the batch given codes z: (N,), and the
        per-sentence sums (B,). dec_in replaces the batch's decoder inputs (word dropout)."""
        be, xp = self.be, self.xp
        dec_in = xp.asarray(batch["dec_in"] if dec_in is None else dec_in)          # host batches too (eval)
        B, T = batch["dec_in"].shape
        h0 = self.initial_state(z)
        ds, cache = self.decode(dec_in, z, h0)                                        # (B, T, H)
        valid = np.arange(T)[None, :] < np.asarray(batch["dec_len"])[:, None]         # (B, T) host
        sel = xp.asarray(np.flatnonzero(valid).astype(np.int64))
        rows = xp.ascontiguousarray(ds.reshape(B * T, -1)[sel])                        # (N, H)
        targets = xp.ascontiguousarray(xp.asarray(batch["target"]).reshape(-1)[sel])
        logits = self.logits(rows)
        losses, dlogits = be.crossentropy_fused(logits, targets)                      # (N,), (N, V)
        owner = np.nonzero(valid)[0]                                                  # sentence of each row
        per_sentence = np.bincount(owner, weights=be.to_numpy(losses).astype(np.float64), minlength=B)
        if keep:
            return losses, per_sentence, dict(dec_in=dec_in, h0=h0, cache=cache, sel=sel, rows=rows,
                                              dlogits=dlogits, N=int(sel.size), shape=(B, T))
        return losses, per_sentence

    # --- a training step -------------------------------------------------------------------

    def forward(self, batch, seed=0, offset=0, word_dropout=0.0, sample=True):
        """Encode, draw z, decode: {"rec": (B,) nats per sentence, "kl": (B, Z)}, keeping what
        backward needs. The noise of the step is Philox (seed, offset): eps uses words
        offset .., word dropout the words from offset + 2^31."""
        be, xp, cfg = self.be, self.xp, self.cfg
        batch = {k: (xp.asarray(v) if k in ("enc", "dec_in", "target") else np.asarray(v))
                 for k, v in batch.items()}
        B = batch["enc"].shape[0]
        Z = cfg.n_latent
        acts = {"batch": batch, "sample": sample}
        if Z:
            mu, logvar, acts["enc"] = self.encode(batch["enc"], batch["enc_len"], keep=True)
            kl = be.gaussian_kl_forward(mu, logvar)                                   # (B, Z)
            if sample:
                z, eps = be.reparameterize_forward(mu, logvar, seed, offset)
            else:
                z, eps = mu, None
            acts.update(mu=mu, logvar=logvar, eps=eps, z=z)
        else:
            z = xp.zeros((B, 0), self.dtype)
            kl = xp.zeros((B, 0), self.dtype)
            acts["z"] = z
        dec_in = batch["dec_in"]
        if word_dropout > 0:
            dec_in = be.word_dropout(dec_in, word_dropout, cfg.unk_id, seed, offset + 2**31)
        _, rec, acts["dec"] = self.token_losses(batch, z, dec_in, keep=True)
        acts["kl"] = kl
        self.acts = acts
        return {"rec": rec, "kl": be.to_numpy(kl).astype(np.float64)}

    def zero_grad(self):
        self.grads[...] = 0

    def backward(self, beta=1.0, free_bits=0.0):
        """d (mean over the batch of rec + beta * KL term) / d params, into self.grads.

        KL term = sum_j max(free_bits, mean_b kl[b, j]) (Kingma et al. 2016's free bits, per
        dimension): a dimension whose batch-mean KL is under the threshold gets no KL
        gradient, so the optimizer has no reason to shut it down."""
        if self.acts is None:
            raise RuntimeError("VAE.backward: call forward(batch) first")
        be, xp, p, g, cfg, a = self.be, self.xp, self.p, self.g, self.cfg, self.acts
        d = a["dec"]
        B, T = d["shape"]
        H, E, Z = cfg.n_hidden, cfg.n_embd, cfg.n_latent
        # rec: crossentropy_fused's dlogits is d(mean over the N rows); we want d(sum / B)
        dlogits = d["dlogits"]
        be.scale_inplace(dlogits.reshape(-1), d["N"] / B)
        drows, dw, db = be.linear_backward(dlogits, d["rows"], p["out_w"])
        g["out_w"][...] = dw
        g["out_b"][...] = db
        dds = xp.zeros((B * T, H), self.dtype)
        dds[d["sel"]] = drows                                                          # scatter to (B, T, H)
        dx, dh0, dw_ih, dw_hh, db_ih, db_hh = be.gru_backward(dds.reshape(B, T, H), d["cache"])
        g["dec_w_ih"][...], g["dec_w_hh"][...], g["dec_b_ih"][...], g["dec_b_hh"][...] = dw_ih, dw_hh, db_ih, db_hh
        g["dec_wte"][...] = be.embedding_backward(d["dec_in"], xp.ascontiguousarray(dx[..., :E]),
                                                  cfg.vocab_size + 1)
        dz_h0, dw, db = be.linear_backward(dh0, a["z"], p["dec_w_z"])
        g["dec_w_z"][...] = dw
        g["dec_b_z"][...] = db
        if not Z:
            return
        dz = be.residual_forward(xp.ascontiguousarray(dx[..., E:].sum(axis=1)), dz_h0)   # both paths into z
        if a["sample"]:
            dmu, dlogvar = be.reparameterize_backward(dz, a["eps"], a["logvar"])
        else:
            dmu, dlogvar = dz, xp.zeros_like(dz)
        if beta:
            kl_dim = be.to_numpy(a["kl"]).mean(axis=0)                                 # (Z,)
            on = (kl_dim > free_bits) if free_bits > 0 else np.ones(Z, bool)
            dkl = xp.asarray(np.tile((on * (beta / B)).astype(self.dtype), (B, 1)))    # (B, Z)
            dmu_kl, dlogvar_kl = be.gaussian_kl_backward(dkl, a["mu"], a["logvar"])
            dmu = be.residual_forward(dmu, dmu_kl)
            dlogvar = be.residual_forward(dlogvar, dlogvar_kl)
        dstats = xp.ascontiguousarray(xp.concatenate([dmu, dlogvar], axis=1))          # (B, 2Z)
        enc = a["enc"]
        dh, dw, db = be.linear_backward(dstats, enc["h"], p["enc_w_stats"])
        g["enc_w_stats"][...] = dw
        g["enc_b_stats"][...] = db
        L = enc["enc"].shape[1]
        dhs = xp.zeros((B, L, H), self.dtype)
        dhs[xp.arange(B), enc["last"]] = dh                                            # only the last state was used
        de, _, dw_ih, dw_hh, db_ih, db_hh = be.gru_backward(dhs, enc["cache"])
        g["enc_w_ih"][...], g["enc_w_hh"][...], g["enc_b_ih"][...], g["enc_b_hh"][...] = dw_ih, dw_hh, db_ih, db_hh
        g["enc_wte"][...] = be.embedding_backward(enc["enc"], de, cfg.vocab_size)

    def update(self, lr, step, beta1=0.9, beta2=0.999, eps=1e-8):
        """One Adam step (AdamW with no weight decay) over the whole buffer."""
        self.be.adamw_update(self.params, self.grads, self.m, self.v, step, lr, beta1, beta2, eps, 0.0)

    # --- generation ------------------------------------------------------------------------

    def greedy_or_sample(self, z, max_len, eot_id, pick, lengths=None):
        """Run the decoder one token at a time from codes z (B, Z): pick(logits (B, V), t) -> ids
        (B,) chooses each next token. Stops a row at </s> (eot), or after lengths[b] tokens
        when given (then </s> does not stop it). Returns a list of B int arrays (without </s>)."""
        be, xp, p, cfg = self.be, self.xp, self.p, self.cfg
        z = xp.asarray(z, dtype=self.dtype)
        B = z.shape[0]
        h = self.initial_state(z)                                                     # (B, H)
        tok = np.full(B, eot_id, np.int32)                                           # <s>
        out = [[] for _ in range(B)]
        done = np.zeros(B, bool)
        steps = max_len + 1 if lengths is None else int(np.max(lengths)) if B else 0
        for t in range(steps):
            x = self.decoder_inputs(xp.asarray(tok[:, None]), z)                      # (B, 1, E+Z)
            hs, _ = be.gru_forward(x, h, p["dec_w_ih"], p["dec_w_hh"], p["dec_b_ih"], p["dec_b_hh"])
            h = xp.ascontiguousarray(hs[:, 0])
            tok = np.asarray(pick(be.to_numpy(self.logits(h)), t), np.int32)
            for b in range(B):
                if done[b]:
                    continue
                if lengths is None and tok[b] == eot_id:
                    done[b] = True
                elif lengths is not None and t >= lengths[b]:
                    done[b] = True
                else:
                    out[b].append(int(tok[b]))
            if done.all():
                break
        return [np.array(o, np.int32) for o in out]
