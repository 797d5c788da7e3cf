"""Chapter 04: how good is a text VAE, and does it use its code? The numbers of the ablation table.

For N test sentences x with n_x tokens each (words and the end token):

  IW-NLL     -log p(x), estimated with k importance samples from q (Burda et al. 2016):
                 log p(x) ~ logsumexp_k [log p(x | z_k) + log p(z_k) - log q(z_k | x)] - log k
             a lower bound on log p(x) that tightens as k grows; k = 1 is the ELBO.
  PPL        exp(sum_x IW-NLL(x) / sum_x n_x): per-token perplexity with the KL included
             (the code is paid for, unlike a "reconstruction perplexity" that skips it).
  ELBO       rec + KL per sentence, one z per sentence: the bound training maximises.
  KL         mean over x of KL(q(z | x) || p(z)), nats.
  MI         I(x; z) under the model's joint q(z | x) p_data(x) (He et al. 2019):
                 E_x E_q(z|x) [log q(z | x)] - E_x E_q(z|x) [log q(z)],
             with the aggregate posterior q(z) = mean_x' q(z | x') over the test set; at most
             log N. KL = MI + KL(q(z) || p(z)): a KL spent without MI only moves the codes away
             from the prior.
  AU         active units (Burda et al. 2016): dimensions u with Var_x(E_q(z|x)[z_u]) > 0.01,
             i.e. whose posterior mean moves with the sentence.
  recon acc  decode greedily from z = mu (the decoder fed its own choices), token by token
             against the sentence, for n_x positions: does the code say which sentence?

A language model (n_latent = 0) has no code: its NLL is exact, KL, MI and AU are 0,
and its "reconstruction" is its one greedy sentence.
"""
from __future__ import annotations

import math

import numpy as np

from pystory.data.sentences import eval_batches

__all__ = ["posterior", "elbo_terms", "iw_log_likelihood", "mutual_information", "active_units",
           "reconstruction_accuracy", "evaluate"]

LOG_2PI = math.log(2 * math.pi)


def posterior(model, sentences, B=128):
    """mu, logvar (N, Z) float64 of q(z | x) for every sentence."""
    be, Z = model.be, model.cfg.n_latent
    mus, lvs = [], []
    for _, batch in eval_batches(sentences, B):
        if not Z:
            mus.append(np.zeros((len(batch["enc_len"]), 0)))
            lvs.append(np.zeros((len(batch["enc_len"]), 0)))
            continue
        mu, lv = model.encode(be.asarray(batch["enc"]), batch["enc_len"])
        mus.append(be.to_numpy(mu).astype(np.float64))
        lvs.append(be.to_numpy(lv).astype(np.float64))
    return np.concatenate(mus), np.concatenate(lvs)


def elbo_terms(model, sentences, seed=0, B=128):
    """(rec, KL) per sentence (N,), one z ~ q(z | x) per sentence (the ELBO is rec + KL)."""
    be, Z = model.be, model.cfg.n_latent
    recs, kls = [], []
    for k, (_, batch) in enumerate(eval_batches(sentences, B)):
        if Z:
            mu, lv = model.encode(be.asarray(batch["enc"]), batch["enc_len"])
            z, _ = be.reparameterize_forward(mu, lv, seed, k << 32)
            kls.append(be.to_numpy(be.gaussian_kl_forward(mu, lv)).astype(np.float64).sum(axis=1))
        else:
            z = model.xp.zeros((len(batch["enc_len"]), 0), np.float32)
            kls.append(np.zeros(len(batch["enc_len"])))
        recs.append(model.token_losses(batch, z)[1])
    model.acts = None
    return np.concatenate(recs), np.concatenate(kls)


def iw_log_likelihood(model, sentences, k=100, seed=0, rows=512):
    """log p(x) estimates (N,) with k importance samples each (exact for a language model)."""
    be, Z = model.be, model.cfg.n_latent
    if not Z:
        rec, _ = elbo_terms(model, sentences)
        return -rec
    per = max(1, rows // k)                                  # sentences per decoder call
    out = []
    for c, (_, batch) in enumerate(eval_batches(sentences, per)):
        b = len(batch["enc_len"])
        mu, lv = model.encode(be.asarray(batch["enc"]), batch["enc_len"])
        mu_k = be.asarray(np.repeat(be.to_numpy(mu), k, axis=0))               # (b*k, Z): k copies each
        lv_k = be.asarray(np.repeat(be.to_numpy(lv), k, axis=0))
        z, eps = be.reparameterize_forward(mu_k, lv_k, seed, c << 32)
        rep = {key: np.repeat(v, k, axis=0) for key, v in batch.items()}
        log_px_z = -model.token_losses(rep, z)[1]                               # (b*k,)
        z64, eps64, lv64 = (be.to_numpy(a).astype(np.float64) for a in (z, eps, lv_k))
        log_pz = -0.5 * (z64 ** 2 + LOG_2PI).sum(axis=1)
        log_qz = -0.5 * (eps64 ** 2 + lv64 + LOG_2PI).sum(axis=1)
        w = (log_px_z + log_pz - log_qz).reshape(b, k)
        m = w.max(axis=1, keepdims=True)
        out.append((m[:, 0] + np.log(np.exp(w - m).sum(axis=1))) - math.log(k))
    model.acts = None
    return np.concatenate(out)


def mutual_information(mu, logvar, seed=0, chunk=256):
    """He et al. (2019)'s estimate of I(x; z) from the posteriors (N, Z) of N sentences."""
    from pystory.philox import philox_normal
    N, Z = mu.shape
    if not Z or N < 2:
        return 0.0
    var = np.exp(logvar)
    eps = philox_normal(seed, 0, N * Z).reshape(N, Z).astype(np.float64)
    z = mu + np.sqrt(var) * eps                                             # one z_i ~ q(z | x_i) each
    neg_entropy = np.mean(-0.5 * Z * LOG_2PI - 0.5 * (1 + logvar).sum(axis=1))   # E log q(z | x)
    log_qz = np.empty(N)
    for i in range(0, N, chunk):                                            # log q(z_i) = log mean_j q(z_i | x_j)
        d = z[i:i + chunk, None, :] - mu[None]                              # (c, N, Z)
        lq = -0.5 * ((d * d) / var[None] + logvar[None] + LOG_2PI).sum(axis=2)
        m = lq.max(axis=1, keepdims=True)
        log_qz[i:i + chunk] = m[:, 0] + np.log(np.exp(lq - m).sum(axis=1)) - math.log(N)
    return float(neg_entropy - log_qz.mean())


def active_units(mu, threshold=0.01):
    """How many latent dimensions have Var over sentences of E_q[z_u] = mu_u above threshold."""
    if mu.shape[1] == 0:
        return 0
    return int((mu.var(axis=0) > threshold).sum())


def reconstruction_accuracy(model, sentences, B=128):
    """Greedy decoding from z = mu, scored token by token over each sentence's words and end."""
    be, eot_id = model.be, sentences.eot_id
    right = total = 0
    for idx, batch in eval_batches(sentences, B):
        if model.cfg.n_latent:
            mu, _ = model.encode(be.asarray(batch["enc"]), batch["enc_len"])
        else:
            mu = model.xp.zeros((len(idx), 0), np.float32)
        lengths = batch["dec_len"]
        got = model.greedy_or_sample(mu, 0, eot_id, lambda logits, t: logits.argmax(axis=1), lengths=lengths)
        for j, g in zip(idx, got):
            want = np.append(sentences.ids[j], eot_id)
            right += int((g == want).sum())
            total += want.size
    model.acts = None
    return right / max(total, 1)


def evaluate(model, sentences, k=100, seed=0, log=None):
    """Every number of the ablation table for `model` on `sentences` (a SentenceSet)."""
    say = log or (lambda msg: None)
    n_tok = sentences.num_tokens
    say(f"eval: {len(sentences)} sentences, {n_tok} tokens; ELBO ...")
    rec, kl = elbo_terms(model, sentences, seed=seed)
    say(f"eval: importance-weighted NLL with k = {k} ...")
    log_px = iw_log_likelihood(model, sentences, k=k, seed=seed + 1)
    mu, logvar = posterior(model, sentences)
    say("eval: mutual information, active units, greedy reconstructions ...")
    nll = float(-log_px.mean())
    result = {
        "sentences": len(sentences), "tokens": n_tok, "k": k,
        "nll": nll, "ppl": math.exp(-log_px.sum() / n_tok),
        "elbo": float((rec + kl).mean()), "ppl_elbo": math.exp((rec + kl).sum() / n_tok),
        "rec": float(rec.mean()), "kl": float(kl.mean()),
        "mi": mutual_information(mu, logvar, seed=seed + 2), "au": active_units(mu),
        "n_latent": model.cfg.n_latent,
        "recon_acc": reconstruction_accuracy(model, sentences),
    }
    return result
