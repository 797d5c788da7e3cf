"""Chapter 06: turning next-token probabilities into text.

The model gives logits z (V scores) for the next token. A sampler picks one:

    greedy        argmax z                        (temperature 0: always the same story)
    temperature   p = softmax(z / temperature)    (< 1 sharper, > 1 flatter)
    top-k         keep the k largest p, renormalize
    top-p         keep the smallest set of most likely tokens whose p sums to >= top_p
                  ("nucleus" sampling), renormalize
    then draw     the first token whose cumulative p exceeds u, u ~ uniform[0, 1)

u comes from Philox (chapter 02): draw i of a story uses word i of the
stream of `seed`, so a seed gives the same story on every machine and every
backend (the probabilities agree to float32 rounding).

generate() runs the model one token at a time. With the KV cache (default)
the prompt is fed once ("prefill") and each new token costs one
decode_step; without it, every token re-runs the model on the whole
context. Both see the same context, so both produce the same tokens (a test
checks it). When the context is full (block_size tokens), the window slides:
it keeps the last block_size // 2 tokens and, with the cache, refills it
from them.
"""
from __future__ import annotations

import codecs

import numpy as np

from pystory.philox import philox_uniform

__all__ = ["Sampler", "probabilities", "sample_token", "generate", "stream_text", "STORY_TEMPERATURE",
           "STORY_TOP_P"]

# The sampler of `python -m pystory story` (and of what measures or judges its stories: pystory.quality,
# the web page's API, the reranking discriminator's fakes). Nucleus sampling cuts the long tail of
# unlikely tokens -- for a small model, mostly broken pieces of names ("calledack", "Ibrose") -- that
# plain sampling still draws now and then: on the shipped model it took the check_story pass rate at
# temperature 0.8 from 54% to 84% (chapter 06, section 4, measured with pystory.quality).
STORY_TEMPERATURE = 0.8
STORY_TOP_P = 0.9


def probabilities(logits, temperature=1.0, top_k=0, top_p=1.0):
    """The distribution the sampler draws from: (V,) float64 summing to 1 (one-hot if temperature 0)."""
    z = np.asarray(logits, np.float64).reshape(-1)
    V = z.size
    if V == 0 or not np.isfinite(z).all():
        raise ValueError("sample: the model's logits are empty or hold NaN or inf (a broken checkpoint?)")
    if temperature < 0 or not np.isfinite(temperature):
        raise ValueError(f"sample: temperature must be >= 0, got {temperature}")
    if top_k < 0:
        raise ValueError(f"sample: top_k must be >= 0 (0 = off), got {top_k}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"sample: top_p must be in (0, 1], got {top_p}")
    if temperature == 0:
        p = np.zeros(V)
        p[int(np.argmax(z))] = 1.0               # ties: the lowest id, like np.argmax
        return p
    z = z / temperature
    if 0 < top_k < V:
        kth = np.partition(z, V - top_k)[V - top_k]      # the k-th largest score
        z = np.where(z >= kth, z, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")            # most likely first
        cum = np.cumsum(p[order])
        keep = int(np.searchsorted(cum, top_p)) + 1      # smallest prefix with mass >= top_p
        mask = np.zeros(V, bool)
        mask[order[:keep]] = True
        p = np.where(mask, p, 0.0)
        p /= p.sum()
    return p


def sample_token(p, u):
    """Inverse-CDF draw: the first id whose cumulative probability exceeds u in [0, 1)."""
    cdf = np.cumsum(p)
    i = int(np.searchsorted(cdf, u * cdf[-1], side="right"))
    i = min(i, p.size - 1)
    while p[i] == 0 and i > 0:                   # rounding at the very top of the cdf
        i -= 1
    return i


class Sampler:
    """Greedy / temperature / top-k / top-p, seeded through Philox; draw i uses stream word offset + i."""

    def __init__(self, temperature=1.0, top_k=0, top_p=1.0, seed=0, offset=0):
        probabilities(np.zeros(2), temperature, min(top_k, 2), top_p)   # validates the settings
        self.temperature, self.top_k, self.top_p = float(temperature), int(top_k), float(top_p)
        self.seed, self.offset = int(seed), int(offset)

    def __call__(self, logits):
        p = probabilities(logits, self.temperature, self.top_k, self.top_p)
        u = float(philox_uniform(self.seed, self.offset, 1)[0])
        self.offset += 1
        return sample_token(p, u)


def generate(model, prompt_ids, max_new_tokens, sampler, eot_id=None, use_cache=True):
    """Yield new token ids one at a time until eot_id (not yielded) or max_new_tokens.

    An empty prompt starts from eot_id (the model learned that a story
    follows it) or token 0 when there is none.
    """
    be, T_max = model.be, model.cfg.block_size
    tokens = [int(t) for t in np.asarray(prompt_ids).reshape(-1)]
    if not tokens:
        tokens = [eot_id if eot_id is not None else 0]
    start = max(0, len(tokens) - T_max)          # a prompt longer than the context: keep its end
    kv, logits = None, None
    for _ in range(max_new_tokens):
        if len(tokens) - start > T_max:          # the window is full: slide, keep its last half
            start = len(tokens) - T_max // 2
            kv = None
        if not use_cache or kv is None:          # a full forward over the window
            kv = model.new_kv_cache(1) if use_cache else None
            ctx = np.asarray(tokens[start:], np.int32)[None, :]          # (1, t)
            out, _ = model.forward(be.asarray(ctx), kv=kv)              # fills kv: the "prefill"
            logits = be.to_numpy(out[0, -1])
        nxt = sampler(logits)
        if eot_id is not None and nxt == eot_id:
            return
        tokens.append(nxt)
        yield nxt
        if use_cache and len(tokens) - start <= T_max:     # one cached step for the new token
            logits = be.to_numpy(model.decode_step(be.asarray(np.array([nxt], np.int32)), kv)[0])


def stream_text(tok, ids):
    """Decode token ids as they come, yielding text pieces (a UTF-8 character split across
    tokens is held back until it is complete)."""
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for i in ids:
        piece = dec.decode(tok.decode([i]))
        if piece:
            yield piece
    tail = dec.decode(b"", final=True)
    if tail:
        yield tail
