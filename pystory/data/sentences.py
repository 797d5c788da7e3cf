"""Chapter 04: sentences as the units of a text VAE, and batches of them.

A sentence VAE encodes one sentence into a code z and decodes it back, so its
data is a set of sentences, not a stream of tokens. They come from
storyworld stories (pystory.data.storyworld, its public API only) or from any
TinyStories-format corpus (`--corpus FILE`), cut into sentences here:

    split_sentences(text)       a paragraph -> its sentences; a quotation stays whole,
                                with its speech tag ('"Hi!" said Mom.' is one sentence)
    SentenceSet                 token ids of unique sentences (<= max_len tokens), one split
    load_splits(...)            train / val / test SentenceSets; val and test keep only
                                sentences that never occur in train (a model is scored on
                                sentences it has not seen: a memorised template scores nothing)
    SentenceBatches             an epoch = the train sentences in batches of similar length
                                (little padding), the batch order shuffled by a seeded RNG;
                                its state (epoch, position) makes --resume exact

A batch, for B sentences of at most L tokens (n_b tokens in sentence b):

    enc      (B, L)     int32  w_1 .. w_n, then padding          what the encoder reads
    enc_len  (B,)       int32  n_b >= 1                          its last state is at n_b - 1
    dec_in   (B, L+1)   int32  <s> w_1 .. w_n, padding           what the decoder reads ...
    target   (B, L+1)   int32  w_1 .. w_n </s>, padding          ... and must predict
    dec_len  (B,)       int32  n_b + 1                           positions that count in the loss

<s> and </s> are both the tokenizer's <|endoftext|> id: one separator that
starts and ends every sentence, as it separates stories for the GPT. Padding
is never read by the loss (the model takes only the first dec_len positions).
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["split_sentences", "story_sentences", "SentenceSet", "load_splits", "SentenceBatches",
           "make_batch", "eval_batches", "MAX_LEN"]

MAX_LEN = 48          # tokens per sentence at most (without <s> and </s>)

# A possible end of sentence: . ! or ?, maybe a closing quote, then spaces, then a
# capital letter or an opening quote. The spaces are group 1.
_BREAK = re.compile(r'[.!?]"?(\s+)(?=["A-Z])')


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, in order. A break (see _BREAK) counts only outside
    quotation marks (an even number of '"' before it), so a quotation of several
    sentences stays one unit with its speech tag: 'Dad said, "Try. Again." So he did.'
    gives 'Dad said, "Try. Again."' and 'So he did.'."""
    out, start = [], 0
    for m in _BREAK.finditer(text):
        if text.count('"', 0, m.start(1)) % 2:
            continue                                  # inside a quotation
        out.append(text[start:m.start(1)].strip())
        start = m.end(1)
    out.append(text[start:].strip())
    return [s for s in out if s]


def story_sentences(story: str) -> list[tuple[str, int]]:
    """(sentence, paragraph index) for every sentence of a story (paragraphs: blank lines)."""
    out = []
    for p, par in enumerate(re.split(r"\n\s*\n", story.strip())):
        out += [(s, p) for s in split_sentences(" ".join(par.split()))]
    return out


class SentenceSet:
    """Unique sentences of one split as token ids: `ids[i]` (int32 array), `texts[i]`,
    `labels[i]` (an int tag per sentence: its storyworld arc, or -1), and `eot_id`, the
    tokenizer's <|endoftext|> (the start and end of every sentence)."""

    def __init__(self, texts, ids, labels, eot_id):
        self.texts, self.ids, self.labels = list(texts), list(ids), np.asarray(labels, np.int32)
        self.eot_id = int(eot_id)

    def __len__(self):
        return len(self.ids)

    @property
    def num_tokens(self):
        """Tokens the decoder predicts: every word and the end of every sentence."""
        return int(sum(len(a) + 1 for a in self.ids))

    def subset(self, n):
        return SentenceSet(self.texts[:n], self.ids[:n], self.labels[:n], self.eot_id)

    @classmethod
    def build(cls, pieces, tok, max_len=MAX_LEN, exclude=()):
        """From (text, label) pairs: encode, keep sentences of 1..max_len tokens, drop repeats
        and anything in `exclude` (a set of texts), keeping first occurrences in order."""
        seen, unique = set(exclude), []
        for text, label in pieces:
            if text not in seen and "<|endoftext|>" not in text:
                seen.add(text)
                unique.append((text, label))
        # One encode call for all of them: joined by <|endoftext|>, which the
        # tokenizer never merges across, then cut at its ids.
        eot = tok.eot_id
        joined = np.asarray(tok.encode("<|endoftext|>".join(t for t, _ in unique) + "<|endoftext|>"), np.int32)
        cuts = np.flatnonzero(joined == eot)
        texts, ids, labels, begin = [], [], [], 0
        for (text, label), end in zip(unique, cuts):
            a = joined[begin:end]
            begin = end + 1
            if 1 <= a.size <= max_len:
                texts.append(text)
                ids.append(a.copy())
                labels.append(label)
        return cls(texts, ids, labels, eot)


def _storyworld_pieces(n_stories, seed):
    from pystory.data import storyworld
    out = []
    for story in storyworld.generate_stories(n_stories, seed=seed):
        out += [(s, -1) for s, _ in story_sentences(story)]
    return out


def _corpus_pieces(stories):
    out = []
    for story in stories:
        out += [(s, -1) for s, _ in story_sentences(story)]
    return out


def load_splits(tok, corpus=None, n_stories=6000, seed=0, max_len=MAX_LEN, n_eval=2000):
    """{"train", "val", "test"}: SentenceSets under tokenizer `tok`.

    storyworld (corpus None): train from `n_stories` stories of seed `seed`; val and
    test from other seeds (seed + 1, seed + 2) of n_stories // 10 stories each.
    corpus (a TinyStories-format file): its stories in order, the last 10% split
    between val and test. val and test keep at most n_eval new sentences each.
    """
    if corpus is None:
        n_eval_stories = max(n_stories // 10, 1)
        parts = [_storyworld_pieces(n_stories, seed), _storyworld_pieces(n_eval_stories, seed + 1),
                 _storyworld_pieces(n_eval_stories, seed + 2)]
    else:
        from pystory.data.corpus import read_corpus
        stories = read_corpus(corpus)
        if len(stories) < 3:
            raise ValueError(f"--corpus {corpus}: needs at least 3 stories, found {len(stories)}")
        k = max(len(stories) // 20, 1)
        parts = [_corpus_pieces(stories[:-2 * k]), _corpus_pieces(stories[-2 * k:-k]),
                 _corpus_pieces(stories[-k:])]
    train = SentenceSet.build(parts[0], tok, max_len)
    seen = set(train.texts)
    val = SentenceSet.build(parts[1], tok, max_len, exclude=seen).subset(n_eval)
    test = SentenceSet.build(parts[2], tok, max_len, exclude=seen | set(val.texts)).subset(n_eval)
    if not len(train) or not len(val) or not len(test):
        raise ValueError(f"sentences: an empty split (train {len(train)}, val {len(val)}, test {len(test)} "
                         f"sentences of 1..{max_len} tokens); give more stories")
    return {"train": train, "val": val, "test": test}


def make_batch(seqs, eot_id):
    """A batch (see the module doc) from a list of int32 id arrays of length >= 1."""
    B = len(seqs)
    lens = np.array([len(a) for a in seqs], np.int32)
    L = int(lens.max()) if B else 1
    enc = np.full((B, L), eot_id, np.int32)
    dec_in = np.full((B, L + 1), eot_id, np.int32)
    target = np.full((B, L + 1), eot_id, np.int32)
    for b, a in enumerate(seqs):
        n = len(a)
        enc[b, :n] = a
        dec_in[b, 1:n + 1] = a
        target[b, :n] = a
    return {"enc": enc, "enc_len": lens, "dec_in": dec_in, "target": target, "dec_len": lens + 1}


class SentenceBatches:
    """Batches of B training sentences of similar length, epoch after epoch.

    Epoch e is a pure function of (seed, e): the sentences sorted by length with
    a random tie-break, cut into batches of B, the batches shuffled. So the
    state to save for an exact resume is two ints, (epoch, position).
    """

    def __init__(self, sentences: SentenceSet, B: int, seed: int = 0):
        if B < 1:
            raise ValueError(f"SentenceBatches: batch size must be >= 1, got {B}")
        self.sentences, self.B, self.eot_id, self.seed = sentences, B, sentences.eot_id, seed
        self.epoch, self.pos = 0, 0
        self._order = None

    def _batches(self, epoch):
        rng = np.random.default_rng([self.seed, epoch])
        lens = np.array([len(a) for a in self.sentences.ids])
        order = np.lexsort((rng.random(lens.size), lens))           # by length, ties at random
        batches = [order[i:i + self.B] for i in range(0, order.size, self.B)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def state(self):
        return {"epoch": self.epoch, "pos": self.pos}

    def set_state(self, st):
        self.epoch, self.pos = int(st["epoch"]), int(st["pos"])
        self._order = None

    def next_batch(self):
        if self._order is None:
            self._order = self._batches(self.epoch)
        if self.pos >= len(self._order):
            self.epoch, self.pos = self.epoch + 1, 0
            self._order = self._batches(self.epoch)
        idx = self._order[self.pos]
        self.pos += 1
        return make_batch([self.sentences.ids[i] for i in idx], self.eot_id)


def eval_batches(sentences: SentenceSet, B: int):
    """(indices, batch): every sentence once, in order, B at a time (for evaluation)."""
    for i in range(0, len(sentences), B):
        idx = list(range(i, min(i + B, len(sentences))))
        yield idx, make_batch([sentences.ids[j] for j in idx], sentences.eot_id)
